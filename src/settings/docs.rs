//! The documentation of every environment variable dsops reads, one line
//! each, for `--help` and the man page (`cli::environment` adds the flags'
//! variables). A unit test in `generate/tests.rs` fails when `src/` reads a
//! variable that is missing here.

/// Environment variables dsops reads, with one line each for the man page and
/// `--help`. A flag's own `env` (cli.rs) is added to its entry by
/// `environment()`. A unit test in `generate/tests.rs` fails when src/ reads a
/// variable that is missing here.
pub const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "DSOPS_CONFIG",
        "the project config file to use instead of the nearest .dsops.yaml; trusted, because you named it",
    ),
    (
        "DSOPS_ENV",
        "the env set to use; the hook reloads at the next prompt when it changes, exported or not",
    ),
    (
        "DSOPS_QUIET",
        "when on, print no status lines (a switch variable is on unless empty, 0, false, no or off)",
    ),
    (
        "DSOPS_DEBUG",
        "when on, print what dsops does on stderr (secret values are redacted)",
    ),
    (
        "DSOPS_NO_LOGIN",
        "when on, never sign in; exit with status 5 when a sign-in is needed",
    ),
    (
        "DSOPS_TOKEN_STORAGE",
        "where the SSO session is kept: file (~/.aws/sso/cache, shared with the AWS CLI) or keyring (the OS keyring, service dsops, account the token file's SHA-1); over the user config's tokens.storage",
    ),
    (
        "DSOPS_USE_DEVICE_CODE",
        "when on, sign in with the device code flow",
    ),
    (
        "DSOPS_LOCK_TIMEOUT",
        "how long to wait for another dsops process's lock (default 900 seconds, at most a day), then exit with status 7; durations are seconds (30, 2.5) or units (90s, 10m, 1h30m), and nonsense is a usage error",
    ),
    (
        "DSOPS_HTTP_TIMEOUT",
        "the bound of one attempt of a request to AWS (default 30 seconds, at most an hour); a request makes up to AWS_MAX_ATTEMPTS attempts",
    ),
    (
        "DSOPS_LOGIN_TIMEOUT",
        "how long a sign-in waits for the browser's callback or the device code's approval (default 600 seconds)",
    ),
    (
        "DSOPS_LOGIN_COOLDOWN",
        "after a sign-in failed or was abandoned, how long other non-interactive callers fail at once (status 6) instead of starting another (default 60 seconds); dsops login is never held back by it",
    ),
    (
        "DSOPS_CALLBACK_PORT",
        "the port on 127.0.0.1 for the browser sign-in's callback (default: any free port)",
    ),
    (
        "DSOPS_HOOK_TIMEOUT",
        "seconds the shell hook waits for an env set's stores before it gives up and applies nothing (default 10)",
    ),
    (
        "DSOPS_STATE",
        "the shell hook's session state (variable names, file fingerprints, the name of the private file under XDG_RUNTIME_DIR or XDG_STATE_HOME that keeps your prior values for restore; never a secret dsops exported, nor your prior values); set by the hook, not by you",
    ),
    (
        "DSOPS_USE",
        "set by dsops use in a hooked shell: the profile or store whose role credentials the shell has (for a prompt); not read for anything else",
    ),
    (
        "DSOPS_USE_EXPIRES",
        "set by dsops use beside DSOPS_USE: when those credentials expire, in epoch seconds (a prompt can show the time left with shell arithmetic); the hook renews them before",
    ),
    (
        "DSOPS_HOOK_SHELL",
        "set by the hook's dsops shell function for dsops use only: the shell to print lines for; dsops use without it says how to load the hook",
    ),
    ("CI", "when on, never sign in, as with --no-login"),
    (
        "BROWSER",
        "commands (separated by :) that open the sign-in URL; %s is the URL, else it is appended",
    ),
    (
        "AWS_SSO_BROWSER",
        "like BROWSER, for the sign-in URL only; wins over BROWSER",
    ),
    (
        "AWS_SSO_DISABLE_BROWSER",
        "when on, do not open a browser; print the URL and code only",
    ),
    (
        "AWS_CONFIG_FILE",
        "the AWS config file (default ~/.aws/config)",
    ),
    (
        "AWS_SHARED_CREDENTIALS_FILE",
        "the AWS shared credentials file (default ~/.aws/credentials)",
    ),
    (
        "AWS_ACCESS_KEY_ID",
        "with AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN: credentials of the standard chain, for aws.secretsmanager and aws.ssm stores that name no other",
    ),
    ("AWS_SECRET_ACCESS_KEY", "see AWS_ACCESS_KEY_ID"),
    ("AWS_SESSION_TOKEN", "see AWS_ACCESS_KEY_ID"),
    (
        "AWS_PROFILE",
        "the profile of the shared credentials file in the standard chain",
    ),
    (
        "AWS_DEFAULT_PROFILE",
        "removed from the command's environment by dsops exec --store or --profile, as are AWS_PROFILE, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN and the variables below that AWS SDKs would use before the credentials dsops gives",
    ),
    (
        "AWS_CREDENTIAL_EXPIRATION",
        "set by dsops exec --static-credentials with the static keys; removed otherwise (see AWS_DEFAULT_PROFILE)",
    ),
    ("AWS_WEB_IDENTITY_TOKEN_FILE", "see AWS_DEFAULT_PROFILE"),
    ("AWS_ROLE_ARN", "see AWS_DEFAULT_PROFILE"),
    ("AWS_ROLE_SESSION_NAME", "see AWS_DEFAULT_PROFILE"),
    (
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "see AWS_DEFAULT_PROFILE (the SDKs prefer it to the full URI)",
    ),
    (
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        "see AWS_DEFAULT_PROFILE (the SDKs prefer it to the token)",
    ),
    (
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "set by dsops exec --store or --profile, and printed by dsops serve: the credential endpoint, http://127.0.0.1:PORT/PATH",
    ),
    (
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "set and printed with AWS_CONTAINER_CREDENTIALS_FULL_URI: the endpoint's token (256 random bits), which clients send as the Authorization header",
    ),
    (
        "AWS_REGION",
        "the API region of aws.secretsmanager and aws.ssm stores that set none (nor their aws.sso store), and of dsops eks-token; dsops exec --store or --profile sets it (and AWS_DEFAULT_REGION) from the store or profile when neither is set",
    ),
    ("AWS_DEFAULT_REGION", "see AWS_REGION"),
    (
        "AWS_MAX_ATTEMPTS",
        "attempts per request to AWS (default 4, at most 10)",
    ),
    (
        "AWS_ENDPOINT_URL",
        "endpoint for every AWS service dsops calls, unless a service's own variable below is set",
    ),
    (
        "AWS_ENDPOINT_URL_SSO_OIDC",
        "endpoint of the IAM Identity Center OIDC service (sign-in, token refresh)",
    ),
    (
        "AWS_ENDPOINT_URL_SSO",
        "endpoint of the IAM Identity Center portal (role credentials, logout)",
    ),
    (
        "AWS_ENDPOINT_URL_SECRETS_MANAGER",
        "endpoint of AWS Secrets Manager",
    ),
    (
        "AWS_ENDPOINT_URL_SSM",
        "endpoint of AWS Systems Manager Parameter Store",
    ),
    (
        "AWS_ENDPOINT_URL_STS",
        "endpoint of AWS STS (AssumeRole for role chains, and the presigned URL of dsops eks-token)",
    ),
    (
        "AWS_ENDPOINT_URL_SIGNIN",
        "the AWS federation endpoint dsops console exchanges credentials at (default: https://signin.aws.amazon.com, or the partition's)",
    ),
    (
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        "when true, ignore the AWS_ENDPOINT_URL variables",
    ),
    (
        "XDG_CONFIG_HOME",
        "the user config is $XDG_CONFIG_HOME/dsops/config.yaml (default ~/.config)",
    ),
    (
        "XDG_DATA_HOME",
        "trust records are under $XDG_DATA_HOME/dsops/ (default ~/.local/share)",
    ),
    (
        "XDG_STATE_HOME",
        "where dsops keeps its state: $XDG_STATE_HOME/dsops/ (default ~/.local/state)",
    ),
    (
        "XDG_CACHE_HOME",
        "dsops eks-token caches tokens under $XDG_CACHE_HOME/dsops/eks/ (default ~/.cache)",
    ),
    (
        "USERPROFILE",
        "Windows: the home directory, as for the AWS CLI (~\\.aws); else HOMEDRIVE and HOMEPATH",
    ),
    (
        "HOMEDRIVE",
        "Windows: with HOMEPATH, the home directory when USERPROFILE is unset",
    ),
    ("HOMEPATH", "Windows: see HOMEDRIVE"),
    (
        "APPDATA",
        "Windows: the user config is %APPDATA%\\dsops\\config.yaml unless XDG_CONFIG_HOME is set",
    ),
    (
        "LOCALAPPDATA",
        "Windows: trust records, state and caches are under %LOCALAPPDATA%\\dsops\\ unless the XDG variables are set",
    ),
    (
        "XDG_RUNTIME_DIR",
        "the hook's stamp files are under $XDG_RUNTIME_DIR/dsops/stamps/ (else under XDG_STATE_HOME)",
    ),
    (
        "SSH_CONNECTION",
        "set (or SSH_TTY) in an SSH session: sign-in uses the device code flow, since a browser there cannot reach back to 127.0.0.1",
    ),
    ("SSH_TTY", "see SSH_CONNECTION"),
    (
        "KUBERNETES_EXEC_INFO",
        "set by kubectl for dsops eks-token: the ExecCredential API version to answer in (v1 or v1beta1; default v1beta1)",
    ),
    (
        "HOME",
        "your home directory: ~/.aws and the XDG defaults are under it; a relative HOME (or XDG_*_HOME) is ignored, as the XDG spec says (HOME then comes from the user database)",
    ),
    (
        "SHELL",
        "the syntax of dsops export --format shell without --shell: fish when it names fish, else POSIX",
    ),
    (
        "ZDOTDIR",
        "where dsops doctor looks for .zshrc (default: HOME)",
    ),
    (
        "PATH",
        "searched by dsops doctor and for the commands of exec stores and dsops exec",
    ),
    (
        "PWD",
        "the working directory as the shell names it (symlinks kept), used when it is the real one",
    ),
];
