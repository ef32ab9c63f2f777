//! Lookup tables for the `lookup` query command: CreateLookupTable, DescribeLookupTables,
//! GetLookupTable, UpdateLookupTable, DeleteLookupTable.
//!
//! Tables are CSV with a header row (≤ 10 MB, ≤ 100 per account, names `^[a-zA-Z0-9_]+$`),
//! kept in `<data>/lookup-tables.json` (the storage data directory, which the engine reads
//! when a query uses `lookup`), rewritten atomically on each change. ARNs are
//! `arn:aws:logs:<region>:<account>:lookup-table:<name>`. `kmsKeyId` and `tags` are stored
//! and returned but not acted upon.

use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use larch_server::{ApiError, ApiResult, RequestContext};

use super::{QueryService, parse};
use crate::compile::lookup::{LookupTables, parse_table};

/// Tables per account (AWS quota).
const MAX_TABLES: usize = 100;
/// Largest table body in bytes.
const MAX_BODY: usize = 10 * 1024 * 1024;
const FILE: &str = "lookup-tables.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredTable {
    account: String,
    arn: String,
    name: String,
    description: Option<String>,
    kms_key_id: Option<String>,
    tags: Option<Value>,
    table_body: String,
    created_at: i64,
    last_updated_time: i64,
}

/// The persisted tables, serialised by a lock.
pub struct LookupStore {
    lock: Mutex<()>,
}

impl LookupStore {
    pub fn new() -> LookupStore {
        LookupStore { lock: Mutex::new(()) }
    }
}

impl Default for LookupStore {
    fn default() -> Self {
        Self::new()
    }
}

fn read(dir: &Path) -> Vec<StoredTable> {
    std::fs::read(dir.join(FILE)).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
}

fn write(dir: &Path, items: &[StoredTable]) -> ApiResult<()> {
    let path: PathBuf = dir.join(FILE);
    let tmp = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec(items).map_err(|e| ApiError::service_unavailable(e.to_string()))?;
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|e| ApiError::service_unavailable(format!("cannot save lookup tables: {e}")))
}

/// The lookup tables of `account` that parse (for query execution).
pub fn load_tables(dir: &Path, account: &str) -> LookupTables {
    let mut out = LookupTables::default();
    for t in read(dir).into_iter().filter(|t| t.account == account) {
        if let Ok(table) = parse_table(&t.table_body) {
            out.tables.insert(t.name, table);
        }
    }
    out
}

fn validate_name(name: &str) -> ApiResult<()> {
    if name.is_empty() || name.len() > 256 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(ApiError::invalid_parameter("lookupTableName must be 1 to 256 characters of [a-zA-Z0-9_]."));
    }
    Ok(())
}

fn validate_body(body: &str) -> ApiResult<(usize, usize)> {
    if body.is_empty() || body.len() > MAX_BODY {
        return Err(ApiError::validation("tableBody must be between 1 byte and 10 MB."));
    }
    let table = parse_table(body).map_err(ApiError::validation)?;
    Ok((table.columns.len(), table.rows.len()))
}

fn validate_text(value: Option<&String>, name: &str, max: usize) -> ApiResult<()> {
    if value.is_some_and(|v| v.chars().count() > max) {
        return Err(ApiError::invalid_parameter(format!("{name} must be at most {max} characters.")));
    }
    Ok(())
}

fn summary(t: &StoredTable, with_body: bool) -> Value {
    let mut item = Map::new();
    item.insert("lookupTableArn".into(), json!(t.arn));
    item.insert("lookupTableName".into(), json!(t.name));
    if let Some(d) = &t.description {
        item.insert("description".into(), json!(d));
    }
    if let Some(k) = &t.kms_key_id {
        item.insert("kmsKeyId".into(), json!(k));
    }
    item.insert("lastUpdatedTime".into(), json!(t.last_updated_time));
    item.insert("sizeBytes".into(), json!(t.table_body.len()));
    if with_body {
        item.insert("tableBody".into(), json!(t.table_body));
    } else if let Ok(table) = parse_table(&t.table_body) {
        item.insert("recordsCount".into(), json!(table.rows.len()));
        item.insert("tableFields".into(), json!(table.columns));
    }
    Value::Object(item)
}

impl QueryService {
    fn lookup_dir(&self) -> &Path {
        self.storage.data_dir()
    }

    fn find_table<'a>(ctx: &RequestContext, items: &'a mut [StoredTable], arn: &str) -> ApiResult<&'a mut StoredTable> {
        items
            .iter_mut()
            .find(|t| t.account == ctx.account && (t.arn == arn || t.name == arn))
            .ok_or_else(|| ApiError::not_found(format!("The specified lookup table does not exist: {arn}")))
    }

    pub(crate) fn create_lookup_table(&self, ctx: &RequestContext, input: Value) -> ApiResult<Value> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Input {
            lookup_table_name: String,
            description: Option<String>,
            table_body: String,
            kms_key_id: Option<String>,
            tags: Option<Value>,
        }
        let input: Input = parse(input)?;
        validate_name(&input.lookup_table_name)?;
        validate_text(input.description.as_ref(), "description", 1024)?;
        validate_text(input.kms_key_id.as_ref(), "kmsKeyId", 256)?;
        validate_body(&input.table_body)?;
        let _guard = self.lookups.lock.lock();
        let mut items = read(self.lookup_dir());
        if items.iter().any(|t| t.account == ctx.account && t.name == input.lookup_table_name) {
            return Err(ApiError::already_exists(format!("Lookup table {} already exists.", input.lookup_table_name)));
        }
        if items.iter().filter(|t| t.account == ctx.account).count() >= MAX_TABLES {
            return Err(ApiError::limit_exceeded("Resource limit exceeded: at most 100 lookup tables per account."));
        }
        let now = crate::now_ms();
        let arn = format!("arn:aws:logs:{}:{}:lookup-table:{}", ctx.region, ctx.account, input.lookup_table_name);
        items.push(StoredTable {
            account: ctx.account.clone(),
            arn: arn.clone(),
            name: input.lookup_table_name,
            description: input.description,
            kms_key_id: input.kms_key_id,
            tags: input.tags,
            table_body: input.table_body,
            created_at: now,
            last_updated_time: now,
        });
        write(self.lookup_dir(), &items)?;
        Ok(json!({"lookupTableArn": arn, "createdAt": now}))
    }

    pub(crate) fn describe_lookup_tables(&self, ctx: &RequestContext, input: Value) -> ApiResult<Value> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Input {
            lookup_table_name_prefix: Option<String>,
            max_results: Option<i64>,
            next_token: Option<String>,
        }
        let input: Input = parse(input)?;
        let max = match input.max_results {
            None => 50,
            Some(n) if (1..=100).contains(&n) => n as usize,
            Some(_) => {
                return Err(ApiError::invalid_parameter("maxResults must be between 1 and 100."));
            }
        };
        let after =
            input.next_token.as_deref().map(|t| larch_server::tokens::decode("lookup-tables", t)).transpose()?;
        let mut items: Vec<StoredTable> = read(self.lookup_dir())
            .into_iter()
            .filter(|t| t.account == ctx.account)
            .filter(|t| input.lookup_table_name_prefix.as_deref().is_none_or(|p| t.name.starts_with(p)))
            .filter(|t| after.as_deref().is_none_or(|a| t.name.as_str() > a))
            .collect();
        items.sort_by(|a, b| a.name.cmp(&b.name));
        let page = &items[..items.len().min(max)];
        let mut out = Map::new();
        out.insert("lookupTables".into(), Value::Array(page.iter().map(|t| summary(t, false)).collect()));
        if items.len() > page.len()
            && let Some(last) = page.last()
        {
            out.insert("nextToken".into(), json!(larch_server::tokens::encode("lookup-tables", &last.name)));
        }
        Ok(Value::Object(out))
    }

    pub(crate) fn get_lookup_table(&self, ctx: &RequestContext, input: Value) -> ApiResult<Value> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Input {
            lookup_table_arn: String,
        }
        let input: Input = parse(input)?;
        let mut items = read(self.lookup_dir());
        let table = Self::find_table(ctx, &mut items, &input.lookup_table_arn)?;
        Ok(summary(table, true))
    }

    pub(crate) fn update_lookup_table(&self, ctx: &RequestContext, input: Value) -> ApiResult<Value> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Input {
            lookup_table_arn: String,
            description: Option<String>,
            table_body: String,
            kms_key_id: Option<String>,
        }
        let input: Input = parse(input)?;
        validate_text(input.description.as_ref(), "description", 1024)?;
        validate_text(input.kms_key_id.as_ref(), "kmsKeyId", 256)?;
        validate_body(&input.table_body)?;
        let _guard = self.lookups.lock.lock();
        let mut items = read(self.lookup_dir());
        let table = Self::find_table(ctx, &mut items, &input.lookup_table_arn)?;
        table.table_body = input.table_body;
        if input.description.is_some() {
            table.description = input.description;
        }
        if input.kms_key_id.is_some() {
            table.kms_key_id = input.kms_key_id;
        }
        let now = crate::now_ms().max(table.last_updated_time);
        table.last_updated_time = now;
        let arn = table.arn.clone();
        write(self.lookup_dir(), &items)?;
        Ok(json!({"lookupTableArn": arn, "lastUpdatedTime": now}))
    }

    pub(crate) fn delete_lookup_table(&self, ctx: &RequestContext, input: Value) -> ApiResult<Value> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Input {
            lookup_table_arn: String,
        }
        let input: Input = parse(input)?;
        let _guard = self.lookups.lock.lock();
        let mut items = read(self.lookup_dir());
        let arn = Self::find_table(ctx, &mut items, &input.lookup_table_arn)?.arn.clone();
        items.retain(|t| !(t.account == ctx.account && t.arn == arn));
        write(self.lookup_dir(), &items)?;
        Ok(json!({}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::CompileParams;
    use larch_storage::{NewEvent, NewLogGroup, Storage, StorageConfig};

    fn stored(account: &str, name: &str, body: &str) -> StoredTable {
        StoredTable {
            account: account.into(),
            arn: format!("arn:aws:logs:us-east-1:{account}:lookup-table:{name}"),
            name: name.into(),
            description: None,
            kms_key_id: None,
            tags: None,
            table_body: body.into(),
            created_at: 0,
            last_updated_time: 0,
        }
    }

    async fn run(
        storage: &Storage,
        groups: &[larch_storage::LogGroup],
        query: &str,
    ) -> crate::Result<Vec<Vec<(String, String)>>> {
        let ast = larch_insights::parse(query)?;
        let params = CompileParams { start_ms: 0, end_ms: i64::MAX / 2, now_ms: 0, default_limit: 100 };
        let (rows, _) = crate::engine::execute(storage, groups, query, &ast, params).await?;
        Ok(rows.into_iter().map(|r| r.into_iter().filter(|(k, _)| k != "@ptr").collect()).collect())
    }

    #[test]
    fn lookup_command() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open_without_background(StorageConfig::new(dir.path())).unwrap();
        let g = storage.create_log_group("111122223333", "app", NewLogGroup::default()).unwrap();
        let s = storage.create_log_stream("111122223333", "app", "s").unwrap();
        let events = [r#"{"userId":"1","team":"old"}"#, r#"{"userId":"2"}"#, r#"{"userId":"9","team":"kept"}"#];
        let events = events
            .iter()
            .enumerate()
            .map(|(i, m)| NewEvent { timestamp: 1000 + i as i64, message: m.to_string() })
            .collect();
        storage.put_events_blocking(g.id, &s, events, 5000).unwrap();
        write(
            dir.path(),
            &[
                stored("111122223333", "users", "id,name,team\n1,Ann,red\n2,Bo,blue\n1,Dup,x\n"),
                stored("999999999999", "users", "id,name\n1,Other\n"),
            ],
        )
        .unwrap();
        let groups = vec![g];
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        let run = |q: &str| rt.block_on(run(&storage, &groups, q));

        let rows =
            run("lookup users userId as id OUTPUT name, team | sort @timestamp asc | display userId, name, team")
                .unwrap();
        let expect = |v: &[&[(&str, &str)]]| -> Vec<Vec<(String, String)>> {
            v.iter().map(|r| r.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()).collect()
        };
        assert_eq!(
            rows,
            expect(&[
                &[("userId", "1"), ("name", "Ann"), ("team", "red")],
                &[("userId", "2"), ("name", "Bo"), ("team", "blue")],
                &[("userId", "9")]
            ])
        );

        let rows =
            run("lookup users userId as id OUTPUTNEW team | sort @timestamp asc | display userId, team").unwrap();
        assert_eq!(
            rows,
            expect(&[
                &[("userId", "1"), ("team", "old")],
                &[("userId", "2"), ("team", "blue")],
                &[("userId", "9"), ("team", "kept")]
            ])
        );

        let rows = run("lookup users userId as id | sort @timestamp asc | display userId, name").unwrap();
        assert_eq!(rows[0], expect(&[&[("userId", "1"), ("name", "Ann")]])[0]);

        let err = run("lookup nosuch userId OUTPUT name").unwrap_err();
        assert!(matches!(err, crate::QueryError::Malformed { .. }), "{err}");
        let err = run("lookup users userId as id OUTPUT nocol").unwrap_err();
        assert!(err.to_string().contains("no column nocol"), "{err}");
    }

    #[test]
    fn validation() {
        assert!(validate_name("users_2024").is_ok());
        assert!(validate_name("bad-name").is_err());
        assert!(validate_name("").is_err());
        assert_eq!(validate_body("a,b\n1,2\n").unwrap(), (2, 1));
        assert!(validate_body("").is_err());
        assert!(validate_body("a,b\n1\n").is_err());
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[stored("1", "t", "a\n1\n"), stored("1", "broken", "a,a\n")]).unwrap();
        let tables = load_tables(dir.path(), "1");
        assert_eq!(tables.tables.len(), 1);
        assert_eq!(tables.tables["t"].rows, vec![vec!["1".to_string()]]);
        assert!(load_tables(dir.path(), "2").tables.is_empty());
    }
}
