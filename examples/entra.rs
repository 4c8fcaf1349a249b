//! Get an Azure Communication Services token with a Microsoft Entra identity.
//!
//! Needs an Azure tenant and an ACS resource. Configure it with environment variables:
//!
//! - `ACS_ENDPOINT`: the resource endpoint, e.g. `https://contoso.communication.azure.com`
//! - optionally `ACS_SCOPES`: comma-separated scopes (default
//!   `https://communication.azure.com/clients/.default`; Teams Phone extensibility uses
//!   `https://auth.msft.communication.azure.com/TeamsExtension.ManageCalls`)
//! - for a service principal: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`;
//!   without them the developer tools' sign-in is used (`az login` or `azd auth login`).
//!
//! Run: `cargo run -p acs-entra --example entra`. Without `ACS_ENDPOINT` it explains what it
//! needs and exits successfully. It prints the token's expiry, never the token.

use std::sync::Arc;

use acs_entra::{
    EntraCommunicationTokenCredentialOptions, ServiceErrorSource, communication_token_credential,
};
use azure_core::credentials::{Secret, TokenCredential};
use azure_identity::{ClientSecretCredential, DeveloperToolsCredential};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Ok(endpoint) = std::env::var("ACS_ENDPOINT") else {
        println!(
            "This example needs an Azure tenant and an Azure Communication Services resource.\n\
             Set ACS_ENDPOINT=https://<resource>.communication.azure.com and either\n\
             AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (a service principal), or\n\
             sign in with `az login` / `azd auth login`. Optionally set ACS_SCOPES (comma-separated).\n\
             Nothing to do without them."
        );
        return Ok(());
    };

    let entra: Arc<dyn TokenCredential> = match (
        std::env::var("AZURE_TENANT_ID"),
        std::env::var("AZURE_CLIENT_ID"),
        std::env::var("AZURE_CLIENT_SECRET"),
    ) {
        (Ok(tenant), Ok(client_id), Ok(secret)) => {
            ClientSecretCredential::new(&tenant, client_id, Secret::new(secret), None)?
        }
        _ => DeveloperToolsCredential::new(None)?,
    };

    let mut options = EntraCommunicationTokenCredentialOptions::new(endpoint, entra);
    if let Ok(scopes) = std::env::var("ACS_SCOPES") {
        options = options.with_scopes(scopes.split(',').map(str::trim))?;
    }
    println!(
        "Exchanging an Entra token via the {} route...",
        options.route()
    );

    let credential = communication_token_credential(options)?;
    let token = match credential.get_token().await {
        Ok(token) => token,
        Err(error) => {
            // The service's answer, when it gave one, is one call away whatever wraps it.
            if let Some(answer) = error.service_error() {
                eprintln!(
                    "The exchange service answered HTTP {} {} (x-ms-client-request-id {}).",
                    answer.status().as_u16(),
                    answer.code().unwrap_or("without an error code"),
                    answer.client_request_id().unwrap_or("unknown"),
                );
                if let Some(delay) = error.retry_after() {
                    eprintln!("It asks to wait {delay:?} before trying again.");
                }
            }
            return Err(error.into());
        }
    };
    println!(
        "Got an ACS access token ({} bytes) that expires on {}.",
        token.token().len(),
        token.expires_on()
    );
    Ok(())
}
