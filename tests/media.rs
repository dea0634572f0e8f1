//! Media (issue 16, part A): uploads over the Mastodon API on a real
//! instance, processed under limits and served back, checked with an
//! independent EXIF reader (Python's exifread, in tests/interop/media/.venv,
//! which scripts/test makes) and by decoding what is served; on both
//! databases. The fixtures are made once by tests/fixtures/media/make.py.

use crate::common::{Api, Backend, TestInstance, client, eventually, temp_dir};
use crate::on_both_databases;
use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery";
const WAIT: Duration = Duration::from_secs(30);

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/media")
            .join(name),
    )
    .unwrap()
}

/// exifread's Python, or None (with a notice) when the venv was not made;
/// on CI its absence is a failure.
fn python() -> Option<PathBuf> {
    let python =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/media/.venv/bin/python");
    if python.exists() {
        return Some(python);
    }
    assert!(
        std::env::var("CI").is_err(),
        "exifread is not installed on CI (scripts/test installs it)"
    );
    eprintln!(
        "NOTICE: exifread check SKIPPED: run scripts/test to create {}",
        python.display()
    );
    None
}

struct Stage {
    alpha: TestInstance,
    api: Api,
    _dir: tempfile::TempDir,
}

async fn stage(backend: Backend) -> Stage {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    alpha.create_org("ngo", false).await;
    alpha.create_org("other", false).await;
    for (email, org) in [
        ("editor@ngo.example", "ngo"),
        ("editor@other.example", "other"),
    ] {
        kuvend::service::auth::create_user(alpha.ctx(), email, PASSWORD, Some((org, "editor")))
            .await
            .unwrap();
    }
    let api = Api::login(&alpha.base_url(), "editor@ngo.example", PASSWORD).await;
    Stage {
        alpha,
        api,
        _dir: dir,
    }
}

/// A multipart upload as apps send it: `file` with a name and a content type
/// of the client's choosing, plus text fields.
async fn upload(
    api: &Api,
    path: &str,
    bytes: Vec<u8>,
    file_name: &str,
    content_type: &str,
    fields: &[(&str, &str)],
) -> (u16, Value) {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(file_name.to_string())
        .mime_str(content_type)
        .unwrap();
    let mut form = reqwest::multipart::Form::new().part("file", part);
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    let response = client()
        .post(format!("{}{path}", api.base))
        .bearer_auth(&api.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The peak resident memory of this process (server included), in kB.
fn vm_hwm_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

/// The markers metadata leaves in JPEG/PNG bytes.
const MARKERS: &[&[u8]] = &[
    b"Exif",
    b"http://ns.adobe.com/xap",
    b"xmpmeta",
    b"ICC_PROFILE",
    b"GPS",
    b"KuvendTestCam",
    b"secret comment",
    b"eXIf",
    b"iCCP",
    b"tEXt",
    b"iTXt",
    b"zTXt",
];

async fn upload_strips_gps_and_rotates(backend: Backend) {
    let s = stage(backend).await;
    let original = fixture("gps_rot6.jpg");
    assert!(
        original.windows(4).any(|w| w == b"Exif"),
        "the fixture has EXIF"
    );
    let (status, media) = upload(
        &s.api,
        "/api/v2/media",
        original,
        "photo.jpg",
        "image/jpeg",
        &[("description", "A red and blue flag")],
    )
    .await;
    assert_eq!(status, 200, "{media}");
    assert_eq!(media["type"], "image");
    assert_eq!(media["description"], "A red and blue flag");
    assert_eq!(media["meta"]["original"]["width"], 20, "{media}");
    assert_eq!(media["meta"]["original"]["height"], 40, "{media}");
    assert!(
        media["blurhash"].as_str().is_some_and(|b| b.len() >= 6),
        "{media}"
    );
    let url = media["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/media/attachments/", s.alpha.base_url())),
        "{url}"
    );
    let response = client().get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(
        headers["content-security-policy"],
        "default-src 'none'; sandbox"
    );
    assert_eq!(
        headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let served = response.bytes().await.unwrap().to_vec();
    for marker in MARKERS {
        assert!(
            !served.windows(marker.len()).any(|w| w == *marker),
            "served bytes contain {:?}",
            String::from_utf8_lossy(marker)
        );
    }
    // Upright: 20×40 with red on top, blue below.
    let img = image::load_from_memory(&served).unwrap().to_rgb8();
    assert_eq!((img.width(), img.height()), (20, 40));
    let top = img.get_pixel(10, 5).0;
    let bottom = img.get_pixel(10, 35).0;
    assert!(
        top[0] > 200 && top[1] < 60 && top[2] < 60,
        "top is not red: {top:?}"
    );
    assert!(
        bottom[2] > 200 && bottom[0] < 60,
        "bottom is not blue: {bottom:?}"
    );
    // The preview too carries no metadata.
    let preview = client()
        .get(media["preview_url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(!preview.windows(4).any(|w| w == b"Exif"));
    if let Some(python) = python() {
        let dir = temp_dir();
        let path = dir.path().join("served.jpg");
        std::fs::write(&path, &served).unwrap();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/media/exif.py");
        // The reader finds the fixture's tags (so a zero below means something).
        let before = std::process::Command::new(&python)
            .arg(&script)
            .arg(
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media/gps_rot6.jpg"),
            )
            .output()
            .unwrap();
        let before = String::from_utf8_lossy(&before.stdout).to_string();
        assert!(before.contains("GPS GPSLatitude"), "{before}");
        let out = std::process::Command::new(&python)
            .arg(&script)
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            text.lines().next(),
            Some("0"),
            "exifread found tags: {text}"
        );
    }
}
on_both_databases!(
    upload_strips_gps_and_rotates,
    upload_strips_gps_and_rotates_sqlite,
    upload_strips_gps_and_rotates_postgres
);

async fn bombs_refused_server_up(backend: Backend) {
    let s = stage(backend).await;
    for (name, says) in [
        ("bomb_60000.png", "too large"),
        ("deflate_bomb.png", "too large"),
        ("screen_bomb.gif", "too large"),
    ] {
        let hwm = vm_hwm_kb();
        let started = Instant::now();
        let (status, body) = upload(
            &s.api,
            "/api/v2/media",
            fixture(name),
            "x.png",
            "image/png",
            &[],
        )
        .await;
        let ms = started.elapsed().as_millis();
        let rise_mb = vm_hwm_kb().saturating_sub(hwm) / 1024;
        eprintln!("MEASURE {name}: {status} in {ms} ms, peak RSS rise {rise_mb} MB: {body}");
        assert_eq!(status, 422, "{name}: {body}");
        let error = body["error"].as_str().unwrap_or_default().to_lowercase();
        assert!(error.contains(says), "{name}: {error}");
        assert!(rise_mb < 200, "{name} raised the peak RSS by {rise_mb} MB");
    }
    // The server still answers, and still processes images.
    let (status, _) = s.api.get("/api/v1/instance").await;
    assert_eq!(status, 200);
    let (status, body) = upload(
        &s.api,
        "/api/v2/media",
        fixture("gps_rot6.jpg"),
        "a.jpg",
        "image/jpeg",
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
}
on_both_databases!(
    bombs_refused_server_up,
    bombs_refused_server_up_sqlite,
    bombs_refused_server_up_postgres
);

async fn html_claiming_png_refused(backend: Backend) {
    let s = stage(backend).await;
    let html = b"<html><body><script>alert(document.cookie)</script></body></html>".to_vec();
    let (status, body) = upload(&s.api, "/api/v2/media", html, "logo.png", "image/png", &[]).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("not an image"),
        "{body}"
    );
    // Unsupported types: refused with a reason naming them.
    let (status, body) = upload(
        &s.api,
        "/api/v2/media",
        fixture("tiny.bmp"),
        "a.bmp",
        "image/bmp",
        &[],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"].as_str().unwrap().contains("BMP"), "{body}");
    let svg =
        br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.to_vec();
    let (status, body) = upload(&s.api, "/api/v1/media", svg, "a.svg", "image/svg+xml", &[]).await;
    assert_eq!(status, 422, "{body}");
    // No file at all.
    let (status, body) = s
        .api
        .post("/api/v2/media", serde_json::json!({"description": "x"}))
        .await;
    assert_eq!(status, 422, "{body}");
}
on_both_databases!(
    html_claiming_png_refused,
    html_claiming_png_refused_sqlite,
    html_claiming_png_refused_postgres
);

async fn traversal_filename_ignored(backend: Backend) {
    let s = stage(backend).await;
    let media_dir = PathBuf::from(&s.alpha.ctx().settings.media.path);
    let escape = media_dir.parent().unwrap().join("evil.jpg");
    let _ = std::fs::remove_file(&escape);
    let (status, media) = upload(
        &s.api,
        "/api/v1/media",
        fixture("gps_rot6.jpg"),
        "../evil.jpg",
        "image/jpeg",
        &[],
    )
    .await;
    assert_eq!(status, 200, "{media}");
    let url = media["url"].as_str().unwrap();
    let key = url.split("/media/").nth(1).unwrap();
    let re = regex::Regex::new(r"^attachments/[0-9a-f]{32}\.jpg$").unwrap();
    assert!(re.is_match(key), "stored key {key}");
    assert!(
        media_dir.join(key).is_file(),
        "{key} is not under {}",
        media_dir.display()
    );
    assert!(!escape.exists(), "a file was written outside media.path");
    // Nothing but generated keys was written.
    let generated = regex::Regex::new(r"^[0-9a-f]{32}(_small)?\.(jpg|png)$").unwrap();
    for entry in std::fs::read_dir(media_dir.join("attachments")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        assert!(generated.is_match(&name), "{name}");
    }
    // Serving refuses keys we could not have made.
    for path in [
        "/media/..%2F..%2Fetc%2Fpasswd",
        "/media/attachments/../../x.jpg",
        "/media/attachments/evil.jpg",
    ] {
        let status = client()
            .get(format!("{}{path}", s.alpha.base_url()))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 404, "{path}");
    }
}
on_both_databases!(
    traversal_filename_ignored,
    traversal_filename_ignored_sqlite,
    traversal_filename_ignored_postgres
);

async fn v2_media_202_then_200(backend: Backend) {
    let s = stage(backend).await;
    let (status, media) = upload(
        &s.api,
        "/api/v2/media",
        fixture("anim.gif"),
        "a.gif",
        "image/gif",
        &[],
    )
    .await;
    assert_eq!(status, 202, "{media}");
    assert!(media["url"].is_null(), "{media}");
    let id = media["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/media/{id}");
    eventually("the animation is processed", WAIT, || async {
        s.api.get(&path).await.0 == 200
    })
    .await;
    let (_, media) = s.api.get(&path).await;
    let url = media["url"].as_str().unwrap();
    assert!(url.ends_with(".gif"), "{url}");
    let response = client().get(url).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "image/gif");
    let bytes = response.bytes().await.unwrap();
    let frames = image::AnimationDecoder::into_frames(
        image::codecs::gif::GifDecoder::new(std::io::Cursor::new(bytes.to_vec())).unwrap(),
    )
    .count();
    assert_eq!(frames, 3, "the animation keeps its frames");
    assert_eq!(media["meta"]["original"]["width"], 64);
}
on_both_databases!(
    v2_media_202_then_200,
    v2_media_202_then_200_sqlite,
    v2_media_202_then_200_postgres
);

async fn put_media_alt_and_focus(backend: Backend) {
    let s = stage(backend).await;
    let (_, media) = upload(
        &s.api,
        "/api/v2/media",
        fixture("gps_rot6.jpg"),
        "a.jpg",
        "image/jpeg",
        &[],
    )
    .await;
    let path = format!("/api/v1/media/{}", media["id"].as_str().unwrap());
    let (status, body) = s
        .api
        .send(reqwest::Method::PUT, &path, Some(serde_json::json!({"description": "Volunteers at the food bank", "focus": "-0.5,0.25"})))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["description"], "Volunteers at the food bank");
    assert_eq!(body["meta"]["focus"]["x"], -0.5);
    assert_eq!(body["meta"]["focus"]["y"], 0.25);
    let (status, body) = s.api.get(&path).await;
    assert_eq!(status, 200);
    assert_eq!(body["description"], "Volunteers at the food bank");
    // A form body too; the focus unchanged when not sent.
    let response = client()
        .put(format!("{}{path}", s.api.base))
        .bearer_auth(&s.api.token)
        .form(&[("description", "Changed")])
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["description"], "Changed");
    assert_eq!(body["meta"]["focus"]["x"], -0.5);
    for bad in [
        serde_json::json!({"focus": "2,0"}),
        serde_json::json!({"description": "x".repeat(1501)}),
    ] {
        let (status, body) = s.api.send(reqwest::Method::PUT, &path, Some(bad)).await;
        assert_eq!(status, 422, "{body}");
    }
    // Another organisation's editor sees none of it.
    let other = Api::login(&s.alpha.base_url(), "editor@other.example", PASSWORD).await;
    assert_eq!(other.get(&path).await.0, 404);
    assert_eq!(
        other
            .send(
                reqwest::Method::PUT,
                &path,
                Some(serde_json::json!({"description": "mine"}))
            )
            .await
            .0,
        404
    );
    assert_eq!(
        other.send(reqwest::Method::DELETE, &path, None).await.0,
        404
    );
    assert_eq!(s.api.get(&path).await.1["description"], "Changed");
    // Its owner deletes it, and its file is gone.
    let url = body_url(&s.api.get(&path).await.1);
    assert_eq!(
        s.api.send(reqwest::Method::DELETE, &path, None).await.0,
        200
    );
    assert_eq!(s.api.get(&path).await.0, 404);
    assert_eq!(client().get(url).send().await.unwrap().status(), 404);
}
on_both_databases!(
    put_media_alt_and_focus,
    put_media_alt_and_focus_sqlite,
    put_media_alt_and_focus_postgres
);

fn body_url(media: &Value) -> String {
    media["url"].as_str().unwrap().to_string()
}
