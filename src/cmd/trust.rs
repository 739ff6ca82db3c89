//! `dsops allow` and `dsops deny`.

use super::Ctx;
use crate::config::{discover, trust};
use crate::error::{Error, Result};
use std::path::PathBuf;

fn target(ctx: &Ctx) -> Result<PathBuf> {
    match ctx.args.operands.first() {
        Some(p) => {
            let p = discover::absolute(&PathBuf::from(p))?;
            // A directory means the config in it.
            let p = if p.is_dir() {
                discover::NAMES
                    .iter()
                    .map(|n| p.join(n))
                    .find(|c| c.is_file())
                    .ok_or_else(|| {
                        Error::config(format!(
                            "{}: no .dsops.yaml or dsops.yaml here",
                            p.display()
                        ))
                    })?
            } else {
                p
            };
            if !p.is_file() {
                return Err(Error::config(format!("{}: no such file", p.display())));
            }
            Ok(p)
        }
        None => discover::nearest(&discover::cwd()?).ok_or_else(|| {
            Error::config("no .dsops.yaml or dsops.yaml here or in any parent directory")
        }),
    }
}

pub fn allow(ctx: &Ctx) -> Result<i32> {
    let path = target(ctx)?;
    trust::allow(&path)?;
    if !ctx.quiet {
        eprintln!("dsops: allowed {}", path.display());
    }
    Ok(0)
}

pub fn deny(ctx: &Ctx) -> Result<i32> {
    let path = target(ctx)?;
    trust::deny(&path)?;
    if !ctx.quiet {
        eprintln!("dsops: denied {}", path.display());
    }
    Ok(0)
}
