//! Masking secrets before anything is recorded.
//!
//! Two layers: known secret *values* (from environment variables named like secrets, and any the
//! user or a runbook marks secret), and secret-shaped *places* in text whatever their value
//! (`Authorization:` headers, passwords in URLs, `token=` query parameters, `--password VALUE`).

/// What a masked secret reads as.
pub const MASK: &str = "****";

/// Values shorter than this are not masked by value: masking every `1` or `on` in a record
/// would destroy it while protecting nothing.
pub const MIN_SECRET_LEN: usize = 4;

/// Substrings of an environment variable's name that mark its value as secret.
const SECRET_NAME_PARTS: &[&str] =
    &["TOKEN", "SECRET", "PASSWORD", "PASSWD", "API_KEY", "APIKEY", "PRIVATE_KEY", "CREDENTIAL"];

/// Headers whose whole value is secret. `authorization` keeps its scheme visible.
const SECRET_HEADERS: &[&str] =
    &["authorization", "proxy-authorization", "x-api-key", "api-key", "x-auth-token", "cookie", "set-cookie"];

/// Query parameters and `--flags` whose value is secret.
const SECRET_PARAMS: &[&str] = &[
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "api_key",
    "apikey",
    "key",
    "password",
    "passwd",
    "secret",
    "client_secret",
    "sig",
    "signature",
];

#[derive(Debug, Clone, Default)]
pub struct Masker {
    /// Longest first, so a secret containing another is masked whole.
    values: Vec<String>,
}

/// Whether an environment variable with this name holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_NAME_PARTS.iter().any(|part| upper.contains(part))
}

impl Masker {
    /// Masks the values of environment variables named like secrets, plus those named in `extra`.
    pub fn from_env<'a>(
        vars: impl IntoIterator<Item = (String, String)>,
        extra: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let extra: Vec<&str> = extra.into_iter().collect();
        let mut masker = Masker::default();
        for (name, value) in vars {
            if is_secret_name(&name) || extra.iter().any(|e| *e == name) {
                masker.add(value);
            }
        }
        masker
    }

    pub fn add(&mut self, value: impl Into<String>) {
        let value = value.into();
        if value.len() >= MIN_SECRET_LEN && !self.values.contains(&value) {
            self.values.push(value);
            self.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        }
    }

    /// The text with every known secret value and secret-shaped place masked.
    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_string();
        for value in &self.values {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), MASK);
            }
        }
        mask_places(&out)
    }

    /// An argument vector masked, including the value after `--password`, `--token`, ...
    pub fn mask_argv(&self, argv: &[String]) -> Vec<String> {
        let mut out = Vec::with_capacity(argv.len());
        let mut hide_next = false;
        for arg in argv {
            if hide_next {
                out.push(MASK.to_string());
                hide_next = false;
                continue;
            }
            if let Some(flag) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-'))
                && !flag.contains('=')
                && is_secret_param(flag)
            {
                hide_next = true;
            }
            let masked = match arg.split_once('=') {
                Some((flag, _)) if flag.starts_with('-') && is_secret_param(flag.trim_start_matches('-')) => {
                    format!("{flag}={MASK}")
                }
                _ => self.mask(arg),
            };
            out.push(masked);
        }
        out
    }
}

fn is_secret_param(name: &str) -> bool {
    let lower = name.to_ascii_lowercase().replace('-', "_");
    SECRET_PARAMS.contains(&lower.as_str()) || is_secret_name(&lower)
}

/// Masks secret-shaped places, whatever the values.
fn mask_places(text: &str) -> String {
    let text = mask_headers(text);
    let text = mask_url_passwords(&text);
    mask_query_params(&text)
}

fn mask_headers(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some((start, name)) = SECRET_HEADERS
        .iter()
        .filter_map(|h| lower[search..].find(&format!("{h}:")).map(|i| (search + i, *h)))
        .min_by_key(|(i, _)| *i)
    {
        let mut value_start = start + name.len() + 1;
        value_start += text[value_start..].len() - text[value_start..].trim_start_matches([' ', '\t']).len();
        let value_end = text[value_start..].find(['\n', '\r', '"', '\'']).map_or(text.len(), |i| value_start + i);
        let value = &text[value_start..value_end];
        // `Authorization: Bearer abc` keeps "Bearer " so the record still says what kind it was.
        let keep = if name.ends_with("authorization") {
            value.find(' ').filter(|&i| !value[i..].trim().is_empty()).map_or(0, |i| i + 1)
        } else {
            0
        };
        if value_end > value_start + keep {
            out.push_str(&text[copied..value_start + keep]);
            out.push_str(MASK);
            copied = value_end;
        }
        search = value_end.max(start + 1);
    }
    out.push_str(&text[copied..]);
    out
}

fn mask_url_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let authority_start = i + 3;
        out.push_str(&rest[..authority_start]);
        rest = &rest[authority_start..];
        let authority_end = rest
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace() || c == '"' || c == '\'')
            .unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        match authority.rfind('@').and_then(|at| authority[..at].find(':').map(|colon| (colon, at))) {
            Some((colon, at)) => {
                out.push_str(&authority[..colon + 1]);
                out.push_str(MASK);
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &rest[authority_end..];
    }
    out.push_str(rest);
    out
}

fn mask_query_params(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    let mut copied = 0;
    while let Some((i, c)) = chars.next() {
        if c != '?' && c != '&' {
            continue;
        }
        let name_start = i + 1;
        let Some(eq) = text[name_start..].find('=').map(|e| name_start + e) else { break };
        let name = &text[name_start..eq];
        if name.is_empty()
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            || !is_secret_param(name)
        {
            continue;
        }
        let value_end = text[eq + 1..]
            .find(|c: char| matches!(c, '&' | '#' | '"' | '\'') || c.is_whitespace())
            .map_or(text.len(), |e| eq + 1 + e);
        if value_end > eq + 1 {
            out.push_str(&text[copied..eq + 1]);
            out.push_str(MASK);
            copied = value_end;
        }
        while chars.peek().is_some_and(|(j, _)| *j < value_end) {
            chars.next();
        }
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masker() -> Masker {
        Masker::from_env(
            [
                ("DEPLOY_TOKEN".to_string(), "tok-12345".to_string()),
                ("db_password".to_string(), "hunter22".to_string()),
                ("SHORT_SECRET".to_string(), "ab".to_string()),
                ("HOME".to_string(), "/root".to_string()),
                ("MY_VAR".to_string(), "custom-value".to_string()),
            ],
            ["MY_VAR"],
        )
    }

    #[test]
    fn values_of_secret_named_variables_are_masked() {
        let m = masker();
        assert_eq!(
            m.mask("login tok-12345 with hunter22 as custom-value in /root"),
            "login **** with **** as **** in /root"
        );
        // Too short to mask by value without wrecking the record.
        assert_eq!(m.mask("ab cd"), "ab cd");
    }

    #[test]
    fn secret_shaped_places_are_masked_whatever_the_value() {
        let m = Masker::default();
        assert_eq!(m.mask("Authorization: Bearer abc.def"), "Authorization: Bearer ****");
        assert_eq!(m.mask("-H 'X-Api-Key: k1' next"), "-H 'X-Api-Key: ****' next");
        assert_eq!(m.mask("https://bob:pw@db.example:5432/x"), "https://bob:****@db.example:5432/x");
        assert_eq!(
            m.mask("https://api.example/v1?user=a&token=xyz&x=1"),
            "https://api.example/v1?user=a&token=****&x=1"
        );
        assert_eq!(m.mask("https://host/path?q=1"), "https://host/path?q=1");
        assert_eq!(m.mask("no secrets here: blameless"), "no secrets here: blameless");
    }

    #[test]
    fn argv_flags_naming_secrets_hide_their_values() {
        let m = Masker::default();
        let argv: Vec<String> =
            ["psql", "--password", "p@ss", "--token=abc", "-v", "1"].iter().map(|s| s.to_string()).collect();
        assert_eq!(m.mask_argv(&argv), vec!["psql", "--password", MASK, "--token=****", "-v", "1"]);
    }
}
