//! A top-level field of a JSON object value (`field:` of a reference), for
//! the stores whose values may be JSON documents.

use super::FetchError;
use crate::error::Error;

/// The value of a top-level field of a JSON object secret. Strings are
/// returned as they are, other JSON values as compact JSON text. A missing or
/// `null` field is "not found" (an `optional` variable is skipped); a value
/// that is not a JSON object is an error. Messages name fields, never values.
pub fn json_field(value: &str, field: &str, what: &str) -> std::result::Result<String, FetchError> {
    use serde_json::Value;
    let obj = match serde_json::from_str::<Value>(value) {
        Ok(Value::Object(m)) => m,
        Ok(_) | Err(_) => {
            return Err(FetchError::Failed(Error::runtime(format!(
                "{what} is not a JSON object, so it has no field '{field}'"
            ))));
        }
    };
    match obj.get(field) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Null) => Err(FetchError::NotFound(format!(
            "field '{field}' of {what} is null"
        ))),
        Some(v) => Ok(v.to_string()),
        None => {
            let mut names: Vec<&str> = obj.keys().map(String::as_str).collect();
            names.truncate(20);
            Err(FetchError::NotFound(format!(
                "{what} has no field '{field}' (fields: {})",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_fields() {
        let v = r#"{"password":"p\"w","port":5432,"nested":{"a":1},"nothing":null}"#;
        assert_eq!(json_field(v, "password", "s").ok().unwrap(), "p\"w");
        assert_eq!(json_field(v, "port", "s").ok().unwrap(), "5432");
        assert_eq!(json_field(v, "nested", "s").ok().unwrap(), r#"{"a":1}"#);
        assert!(matches!(
            json_field(v, "nothing", "s"),
            Err(FetchError::NotFound(_))
        ));
        match json_field(v, "user", "secret 'x'") {
            Err(FetchError::NotFound(m)) => {
                assert!(
                    m.contains("no field 'user'") && m.contains("password"),
                    "{m}"
                );
                assert!(!m.contains("p\\\"w"), "a value leaked: {m}");
            }
            _ => panic!("missing field must be NotFound"),
        }
        match json_field("hunter2", "user", "secret 'x'") {
            Err(FetchError::Failed(e)) => {
                assert!(e.message.contains("not a JSON object"), "{}", e.message);
                assert!(!e.message.contains("hunter2"));
            }
            _ => panic!("non-JSON must fail"),
        }
        assert!(matches!(
            json_field("[1]", "a", "s"),
            Err(FetchError::Failed(_))
        ));
    }
}
