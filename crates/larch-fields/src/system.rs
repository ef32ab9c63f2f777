//! System fields: supplied by the store for every event, never discovered from `@message`.

/// Is `name` a system field (`@timestamp`, `@message`, `@logStream`, `@log`,
/// `@ingestionTime`, `@ptr`, plus the entity / data-source fields `@entity`, `@entity.*`,
/// `@data_source_name`, `@data_source_type`, `@data_format`, `@aws.account`, `@aws.region`,
/// `@source.log`)? Such names never come from discovery: [`crate::get_field`] returns `None`
/// for them. Case-sensitive, like all field names.
pub fn is_system_field(name: &str) -> bool {
    matches!(
        name,
        "@timestamp"
            | "@message"
            | "@logStream"
            | "@log"
            | "@ingestionTime"
            | "@ptr"
            | "@entity"
            | "@data_source_name"
            | "@data_source_type"
            | "@data_format"
            | "@aws.account"
            | "@aws.region"
            | "@source.log"
    ) || name.starts_with("@entity.")
}
