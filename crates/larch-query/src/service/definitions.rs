//! Saved queries: PutQueryDefinition, DescribeQueryDefinitions, DeleteQueryDefinition.
//! Kept in `<data>/query-definitions.json`, rewritten atomically on each change.

use std::path::PathBuf;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use larch_server::{ApiError, ApiResult, RequestContext};

use super::{QueryService, parse};

/// Saved queries per account (AWS quota).
const MAX_DEFINITIONS: usize = 1000;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Definition {
    account: String,
    query_definition_id: String,
    name: String,
    query_string: String,
    query_language: String,
    last_modified: i64,
    log_group_names: Option<Vec<String>>,
    parameters: Option<Value>,
    client_token: Option<String>,
}

pub struct Definitions {
    path: PathBuf,
    items: Mutex<Vec<Definition>>,
}

impl Definitions {
    pub fn open(path: PathBuf) -> Definitions {
        let items = std::fs::read(&path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
        Definitions { path, items: Mutex::new(items) }
    }

    fn save(&self, items: &[Definition]) -> ApiResult<()> {
        let tmp = self.path.with_extension("json.tmp");
        let bytes = serde_json::to_vec_pretty(items).map_err(|e| ApiError::service_unavailable(e.to_string()))?;
        std::fs::write(&tmp, bytes)
            .and_then(|()| std::fs::rename(&tmp, &self.path))
            .map_err(|e| ApiError::service_unavailable(format!("cannot save query definitions: {e}")))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PutInput {
    query_language: Option<String>,
    name: String,
    query_definition_id: Option<String>,
    log_group_names: Option<Vec<String>>,
    query_string: String,
    client_token: Option<String>,
    parameters: Option<Value>,
}

impl QueryService {
    pub(crate) fn put_query_definition(&self, ctx: &RequestContext, input: Value) -> ApiResult<Value> {
        let input: PutInput = parse(input)?;
        let mut items = self.definitions.items.lock();
        // botocore fills clientToken on every call: a repeated token is the same request.
        if let Some(token) = &input.client_token
            && let Some(existing) =
                items.iter().find(|d| d.account == ctx.account && d.client_token.as_deref() == Some(token))
        {
            return Ok(json!({"queryDefinitionId": existing.query_definition_id}));
        }
        let id = match &input.query_definition_id {
            Some(id) => {
                if !items.iter().any(|d| d.account == ctx.account && &d.query_definition_id == id) {
                    return Err(ApiError::not_found(format!("Query definition does not exist: {id}")));
                }
                id.clone()
            }
            None => {
                if items.iter().filter(|d| d.account == ctx.account).count() >= MAX_DEFINITIONS {
                    return Err(ApiError::limit_exceeded("Resource limit exceeded."));
                }
                uuid::Uuid::new_v4().to_string()
            }
        };
        let definition = Definition {
            account: ctx.account.clone(),
            query_definition_id: id.clone(),
            name: input.name,
            query_string: input.query_string,
            query_language: input.query_language.unwrap_or_else(|| "CWLI".into()),
            last_modified: crate::now_ms(),
            log_group_names: input.log_group_names,
            parameters: input.parameters,
            client_token: input.client_token,
        };
        items.retain(|d| !(d.account == ctx.account && d.query_definition_id == id));
        items.push(definition);
        self.definitions.save(&items)?;
        Ok(json!({"queryDefinitionId": id}))
    }

    pub(crate) fn describe_query_definitions(&self, ctx: &RequestContext, input: Value) -> ApiResult<Value> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Input {
            query_language: Option<String>,
            query_definition_name_prefix: Option<String>,
            max_results: Option<usize>,
            next_token: Option<String>,
        }
        let input: Input = parse(input)?;
        let after = input.next_token.as_deref().map(|t| larch_server::tokens::decode("definitions", t)).transpose()?;
        let mut items: Vec<Definition> = self
            .definitions
            .items
            .lock()
            .iter()
            .filter(|d| d.account == ctx.account)
            .filter(|d| input.query_definition_name_prefix.as_deref().is_none_or(|p| d.name.starts_with(p)))
            .filter(|d| input.query_language.as_deref().is_none_or(|l| d.query_language == l))
            .cloned()
            .collect();
        items.sort_by(|a, b| (&a.name, &a.query_definition_id).cmp(&(&b.name, &b.query_definition_id)));
        let key = |d: &Definition| format!("{}\u{1}{}", d.name, d.query_definition_id);
        let remaining: Vec<Definition> =
            items.into_iter().filter(|d| after.as_deref().is_none_or(|a| key(d).as_str() > a)).collect();
        let max = input.max_results.unwrap_or(1000);
        let page = &remaining[..remaining.len().min(max)];
        let mut out = Map::new();
        out.insert(
            "queryDefinitions".into(),
            Value::Array(
                page.iter()
                    .map(|d| {
                        let mut item = Map::new();
                        item.insert("queryLanguage".into(), json!(d.query_language));
                        item.insert("queryDefinitionId".into(), json!(d.query_definition_id));
                        item.insert("name".into(), json!(d.name));
                        item.insert("queryString".into(), json!(d.query_string));
                        item.insert("lastModified".into(), json!(d.last_modified));
                        if let Some(groups) = &d.log_group_names {
                            item.insert("logGroupNames".into(), json!(groups));
                        }
                        if let Some(p) = &d.parameters {
                            item.insert("parameters".into(), p.clone());
                        }
                        Value::Object(item)
                    })
                    .collect(),
            ),
        );
        if remaining.len() > page.len()
            && let Some(last) = page.last()
        {
            out.insert("nextToken".into(), json!(larch_server::tokens::encode("definitions", &key(last))));
        }
        Ok(Value::Object(out))
    }

    pub(crate) fn delete_query_definition(&self, ctx: &RequestContext, input: Value) -> ApiResult<Value> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Input {
            query_definition_id: String,
        }
        let input: Input = parse(input)?;
        let mut items = self.definitions.items.lock();
        let before = items.len();
        items.retain(|d| !(d.account == ctx.account && d.query_definition_id == input.query_definition_id));
        if items.len() == before {
            return Err(ApiError::not_found(format!("Query definition does not exist: {}", input.query_definition_id)));
        }
        self.definitions.save(&items)?;
        Ok(json!({"success": true}))
    }
}
