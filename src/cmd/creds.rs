//! `dsops creds`: credential_process JSON for the role a store or profile
//! names (an SSO role, or the role a chain assumes last).

use super::Ctx;
use crate::error::Result;

pub fn run(ctx: &Ctx) -> Result<i32> {
    let source = ctx.source()?;
    let policy = ctx.login_policy();
    let creds = match ctx.min_validity {
        Some(min) => source.credentials_lasting(&policy, min)?,
        None => source.credentials(&policy)?,
    };
    crate::output::print(format!("{}\n", creds.process_json()).as_bytes())?;
    Ok(0)
}
