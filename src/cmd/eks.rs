//! `dsops eks-token --cluster NAME (--store NAME | --profile NAME) [--region
//! R]`: the kubectl `ExecCredential` of `aws eks get-token`, from the cache
//! when a token has more than a minute left (see `crate::eks`).

use super::Ctx;
use crate::eks;
use crate::error::{Error, Result};

pub fn run(ctx: &Ctx) -> Result<i32> {
    let Some(cluster) = ctx.args.cluster.as_deref().filter(|c| !c.is_empty()) else {
        return Err(Error::usage(
            "name the cluster: dsops eks-token --cluster NAME --store NAME",
        ));
    };
    let source = ctx.source()?;
    let region = source
        .api_region(ctx.args.region.as_deref())
        .ok_or_else(|| {
            Error::usage(
                "no region: give --region, set region on the store or profile, or AWS_REGION",
            )
        })?;
    let endpoint = eks::sts_endpoint(&region);
    let path = eks::cache_path(&source, cluster, &region, &endpoint);
    let token = match eks::read_cached(&path, crate::timefmt::now()) {
        Some(t) => {
            ctx.debug(format_args!("EKS token from {}", path.display()));
            t
        }
        None => {
            let creds = source.credentials(&ctx.login_policy())?;
            let t = eks::new_token(&creds, &region, cluster, &endpoint)?;
            eks::write_cached(&path, &t)?;
            ctx.debug(format_args!(
                "new EKS token for cluster {cluster} in {region} via {endpoint}, cached in {}",
                path.display()
            ));
            t
        }
    };
    let text = eks::exec_credential(&token, eks::api_version());
    crate::output::print(format!("{text}\n").as_bytes())?;
    Ok(0)
}
