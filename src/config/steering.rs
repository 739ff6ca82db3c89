//! The variables that can steer credentials, code or network, in one
//! documented list: a change that adds or changes one is high in the trust
//! diff (`diff.rs`) whatever sets it, so `trust.auto_allow: low` never
//! trusts it. The README's trust section repeats the list; `diff.rs` tests
//! that every entry is rated high. Names the hook refuses outright (`HOME`,
//! `XDG_*_HOME`, `LD_*`, ...) are in `shell/reserved.rs`.

/// Variables that can steer credentials, code or network: a change that
/// adds or changes one is **high** whatever sets it (a literal, any store),
/// and `trust.auto_allow: low` never trusts it. An exact name, or a prefix
/// (`AWS_*`) or suffix (`*_PROXY`) pattern; compared without regard to case
/// (`http_proxy`, and zsh's `path` tied to `PATH`). Names the hook refuses
/// outright (`HOME`, `XDG_*_HOME`, `LD_*`, ...) are in `shell/reserved.rs`.
/// The README's trust section lists these.
pub const STEERING: &[&str] = &[
    // Credentials, endpoints, profiles, config files and CA bundles of
    // every AWS SDK and the CLI.
    "AWS_*",
    // Where programs, libraries and modules are found.
    "*PATH",
    "PYTHON*",
    "PERL*",
    "RUBY*",
    "NODE_*",
    "GEM_*",
    "BUNDLE_*",
    "CARGO_*",
    "RUSTUP_*",
    "RUSTC*",
    "GO*",
    "JAVA_*",
    "*_HOME",
    "XDG_*",
    // Options a runtime or build tool reads at start-up.
    "*_OPTIONS",
    "*FLAGS",
    "*_OPTS",
    "*OPT",
    // Package indexes.
    "PIP_*",
    "UV_*",
    "NPM_CONFIG_*",
    "YARN_*",
    // Kubernetes, containers, Terraform.
    "KUBECONFIG",
    "KUBE*",
    "DOCKER_*",
    "CONTAINER_HOST",
    "TF_CLI_*",
    // Network: proxies, name resolution, TLS trust.
    "*_PROXY",
    "HOSTALIASES",
    "LOCALDOMAIN",
    "SSL_*",
    "*CA_BUNDLE",
    "*_CA_CERTS",
    "*CAINFO",
    "*CAPATH",
    // Other clouds' and tools' credentials.
    "GOOGLE_*",
    "CLOUDSDK_*",
    "AZURE_*",
    "VAULT_*",
    "GNUPGHOME",
    "SSH_*",
    "GIT_*",
    // Programs other programs run.
    "EDITOR",
    "VISUAL",
    "*PAGER",
    "BROWSER",
    "SHELL",
    "*ASKPASS",
    "LESSOPEN",
    "LESSCLOSE",
    "TERMINAL",
    "PROMPT_*",
];

/// Is `name` in [`STEERING`]?
pub fn steers(name: &str) -> bool {
    let up = name.to_ascii_uppercase();
    STEERING.iter().any(|p| {
        if let Some(prefix) = p.strip_suffix('*') {
            up.starts_with(prefix)
        } else if let Some(suffix) = p.strip_prefix('*') {
            up.ends_with(suffix)
        } else {
            up == *p
        }
    })
}
