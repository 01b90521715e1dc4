//! A new member's key card: everything the member needs, made once from the
//! freshly issued keys, for the panel (after add and rotate) and for
//! `privateindexer admin add-user`/`rotate` alike.

use crate::wire::IssuedKeys;

/// Placeholders the member replaces with their own *arr apps' values.
pub const RADARR_URL: &str = "http://radarr:7878";
pub const RADARR_KEY: &str = "YOUR_RADARR_API_KEY";
pub const SONARR_URL: &str = "http://sonarr:8989";
pub const SONARR_KEY: &str = "YOUR_SONARR_API_KEY";

#[derive(Debug, Clone)]
pub struct KeyCard {
    pub label: String,
    /// `INDEXER_API_URL` of the member's client.
    pub server_url: String,
    /// The Torznab URL for Prowlarr or an *arr app (API path `/api`).
    pub torznab_url: String,
    pub api_key: String,
    pub announce_url: String,
    /// A ready `privateindexer client …` command.
    pub command: String,
    /// The `environment:` lines for docker/compose.client.yml.
    pub compose: String,
}

impl KeyCard {
    pub fn new(keys: &IssuedKeys) -> KeyCard {
        let server_url = keys.server_url.trim_end_matches('/').to_string();
        let command = format!(
            "privateindexer client \\\n  --indexer-api-url {server_url} --api-key {key} \\\n  \
             --radarr-url {RADARR_URL} --radarr-api-key {RADARR_KEY} \\\n  \
             --sonarr-url {SONARR_URL} --sonarr-api-key {SONARR_KEY}",
            key = keys.api_key
        );
        let compose = format!(
            "    environment:\n      INDEXER_API_URL: \"{server_url}\"\n      API_KEY: \"{key}\"\n      \
             RADARR_URL: \"{RADARR_URL}\"\n      RADARR_API_KEY: \"{RADARR_KEY}\"\n      \
             SONARR_URL: \"{SONARR_URL}\"\n      SONARR_API_KEY: \"{SONARR_KEY}\"",
            key = keys.api_key
        );
        KeyCard {
            label: keys.label.clone(),
            torznab_url: format!("{server_url}/api"),
            server_url,
            api_key: keys.api_key.clone(),
            announce_url: keys.announce_url.clone(),
            command,
            compose,
        }
    }

    /// The card as text, for a terminal.
    pub fn text(&self) -> String {
        format!(
            "Key card for {label} (the keys are shown only now):\n\n\
             Client (INDEXER_API_URL, API_KEY):\n  {server}\n  {key}\n\n\
             Prowlarr or an *arr app: Generic Torznab, URL {server}, API path /api, API key above\n  \
             (Torznab URL {torznab})\n\n\
             Announce URL (the client writes it into torrents itself):\n  {announce}\n\n\
             Run the client:\n{command}\n\n\
             Or in docker/compose.client.yml:\n{compose}\n",
            label = self.label,
            server = self.server_url,
            key = self.api_key,
            torznab = self.torznab_url,
            announce = self.announce_url,
            command = self.command,
            compose = self.compose,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_card_carries_the_keys_and_the_server_url() {
        let keys = IssuedKeys {
            id: 3,
            label: "alice".into(),
            api_key: "k".repeat(64),
            passkey: "p".repeat(64),
            announce_url: format!("https://t.example/announce/{}", "p".repeat(64)),
            server_url: "https://i.example/indexer/".into(),
        };
        let card = KeyCard::new(&keys);
        assert_eq!(card.server_url, "https://i.example/indexer");
        assert_eq!(card.torznab_url, "https://i.example/indexer/api");
        assert!(card.command.contains(&format!(
            "--indexer-api-url https://i.example/indexer --api-key {}",
            keys.api_key
        )));
        assert!(card
            .compose
            .contains("INDEXER_API_URL: \"https://i.example/indexer\""));
        let text = card.text();
        for part in [
            &card.command,
            &card.compose,
            &keys.announce_url,
            &keys.api_key,
        ] {
            assert!(text.contains(part.as_str()));
        }
    }
}
