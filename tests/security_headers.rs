//! Every HTML page carries a Content-Security-Policy that allows no script
//! (event pages alone allow our own script file, never inline script: see
//! tests/event_pages.rs) and no framing; every response forbids
//! content-type sniffing.

use crate::common::{Backend, TestInstance, client, register_app, temp_dir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_pages_allow_no_script_and_no_framing() {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", Backend::Sqlite, dir.path()).await;
    alpha.create_org("ngo", false).await;
    let base = alpha.base_url();
    let (client_id, _) = register_app(&base, "read").await;
    let login_page = format!(
        "/oauth/authorize?response_type=code&client_id={}&redirect_uri=urn:ietf:wg:oauth:2.0:oob&scope=read",
        client_id
    );
    for path in ["/", "/@ngo", "/tags/nad", login_page.as_str()] {
        let response = client().get(format!("{base}{path}")).send().await.unwrap();
        let headers = response.headers();
        let content_type = headers["content-type"].to_str().unwrap();
        assert!(
            content_type.starts_with("text/html"),
            "{path}: {content_type}"
        );
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(
            !csp.contains("script-src"),
            "no script source at all: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(
            headers["referrer-policy"], "strict-origin-when-cross-origin",
            "{path}"
        );
    }
    let json = client()
        .get(format!("{base}/api/v1/instance"))
        .send()
        .await
        .unwrap();
    assert_eq!(json.headers()["x-content-type-options"], "nosniff");
    assert!(json.headers().get("content-security-policy").is_none());
}
