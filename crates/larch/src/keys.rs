//! `larch keys create|list|delete`: edits the key file of a data directory; a running server
//! picks the change up on its next request.

use std::path::Path;

use clap::Subcommand;
use larch_server::keys;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Create a key for an account and print the `AWS_...` lines to export.
    Create {
        /// 12-digit account id the key acts as.
        #[arg(long, default_value = "000000000000")]
        account: String,
    },
    /// List keys (secrets are not shown).
    List,
    /// Delete a key.
    Delete { access_key_id: String },
}

pub fn run(command: KeysCommand, data: &Path) -> Result<(), String> {
    match command {
        KeysCommand::Create { account } => {
            if !keys::is_valid_account_id(&account) {
                return Err(format!("account id must be 12 digits: {account}"));
            }
            let key = keys::create_key(data, &account)
                .map_err(|e| format!("cannot write keys in {}: {e}", data.display()))?;
            println!("AWS_ACCESS_KEY_ID={}", key.access_key_id);
            println!("AWS_SECRET_ACCESS_KEY={}", key.secret_access_key);
            Ok(())
        }
        KeysCommand::List => {
            let keys = keys::list_keys(data).map_err(|e| format!("cannot read keys in {}: {e}", data.display()))?;
            for k in keys {
                println!("{}\t{}", k.access_key_id, k.account_id);
            }
            Ok(())
        }
        KeysCommand::Delete { access_key_id } => {
            let deleted = keys::delete_key(data, &access_key_id)
                .map_err(|e| format!("cannot write keys in {}: {e}", data.display()))?;
            if deleted { Ok(()) } else { Err(format!("no such key: {access_key_id}")) }
        }
    }
}
