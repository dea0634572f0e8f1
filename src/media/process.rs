//! Decoding under limits, orientation, re-encoding from pixels, previews and
//! blurhash. Everything here blocks: callers run it on a blocking thread
//! behind the processing semaphore (service::media).
//!
//! The order matters for bombs: the format is sniffed from the bytes (the
//! client's content type and file name are never read), then the header's
//! dimensions are checked against the side and pixel limits before a single
//! pixel is decoded, so a 60000×60000 PNG or a GIF whose logical screen is
//! 65535² costs a header read, not gigabytes.

use super::{Limits, Processed, Purpose, Refused};
use image::{
    AnimationDecoder, DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader,
    codecs::{
        gif::{GifDecoder, GifEncoder, Repeat},
        jpeg::JpegEncoder,
        png::PngEncoder,
    },
    imageops::FilterType,
};
use std::io::Cursor;

/// Longest side accepted, whatever the pixel budget (a 1×30,000,000 strip
/// would pass the pixel check yet is no photo).
const MAX_SIDE: u32 = 16_384;
/// Mastodon's `original` style: at most 3840×2160's area is kept.
const ORIGINAL_PIXELS: u64 = 3840 * 2160;
/// Mastodon's `small` style: the preview is at most 640×360's area.
const SMALL_PIXELS: u64 = 640 * 360;
/// Frames of an animated GIF kept at most; more is refused.
const MAX_FRAMES: usize = 300;
/// Frames × pixels an animated GIF may decode to in all (each frame is
/// decoded to a full RGBA canvas): 200 Mpx is 800 MB of work, not of memory,
/// since frames are encoded one by one.
const MAX_FRAME_PIXELS: u64 = 200_000_000;
/// JPEG quality of what we store, as Mastodon's default.
const JPEG_QUALITY: u8 = 85;

/// What the header says, without decoding pixels.
#[derive(Debug, Clone, Copy)]
pub struct Probe {
    pub format_name: &'static str,
    pub width: u32,
    pub height: u32,
    /// A GIF with more than one frame.
    pub animated: bool,
}

/// Sniffs and checks an image's header (format, dimensions and whether a GIF
/// is animated): the quick part of [`process`], for deciding whether an
/// upload is processed before answering or in the background. Blocking.
pub fn probe(bytes: &[u8], limits: &Limits) -> Result<Probe, Refused> {
    guarded(|| {
        let format = sniff(bytes)?;
        let (width, height) = checked_dimensions(bytes, format, limits)?;
        let animated = format == ImageFormat::Gif && gif_frames(bytes, limits, 2)? > 1;
        Ok(Probe {
            format_name: name(format),
            width,
            height,
            animated,
        })
    })
}

/// Checks, decodes and re-encodes an image for `purpose`. Blocking; never
/// panics (a decoder's panic is caught and refused as invalid).
pub fn process(bytes: &[u8], purpose: Purpose, limits: &Limits) -> Result<Processed, Refused> {
    guarded(|| process_inner(bytes, purpose, limits))
}

/// Runs `f`, turning a panic (a decoder's bug on hostile input) into a refusal.
fn guarded<T>(f: impl FnOnce() -> Result<T, Refused>) -> Result<T, Refused> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(Refused::Corrupt("the decoder failed".into())))
}

fn process_inner(bytes: &[u8], purpose: Purpose, limits: &Limits) -> Result<Processed, Refused> {
    let format = sniff(bytes)?;
    checked_dimensions(bytes, format, limits)?;
    let keeps_animation = matches!(purpose, Purpose::Attachment | Purpose::Remote);
    if format == ImageFormat::Gif && keeps_animation && gif_frames(bytes, limits, 2)? > 1 {
        return animated_gif(bytes, limits);
    }
    let img = decode_static(bytes, format, limits)?;
    let img = match purpose {
        Purpose::Avatar => img.resize_to_fill(400, 400, FilterType::Lanczos3),
        Purpose::Header => img.resize_to_fill(1500, 500, FilterType::Lanczos3),
        Purpose::Attachment | Purpose::Banner | Purpose::Remote => {
            fit_area(img, ORIGINAL_PIXELS, FilterType::Lanczos3)
        }
    };
    let (content_type, ext, bytes_out) = encode_static(&img)?;
    let small = fit_area(img.clone(), SMALL_PIXELS, FilterType::Triangle);
    let (small_content_type, small_ext, small_bytes) = encode_static(&small)?;
    Ok(Processed {
        content_type,
        ext,
        bytes: bytes_out,
        width: img.width(),
        height: img.height(),
        blurhash: blurhash_of(&small),
        small: small_bytes,
        small_content_type,
        small_ext,
        small_width: small.width(),
        small_height: small.height(),
        animated: false,
    })
}

/// The format, from the bytes alone; only the four we decode are accepted.
fn sniff(bytes: &[u8]) -> Result<ImageFormat, Refused> {
    let format = image::guess_format(bytes).map_err(|_| Refused::NotAnImage)?;
    match format {
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif => Ok(format),
        other => Err(Refused::Unsupported(name(other))),
    }
}

fn name(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Png => "PNG",
        ImageFormat::WebP => "WebP",
        ImageFormat::Gif => "GIF",
        ImageFormat::Bmp => "BMP",
        ImageFormat::Tiff => "TIFF",
        ImageFormat::Ico => "ICO",
        ImageFormat::Avif => "AVIF",
        _ => "this format",
    }
}

/// The decoders' limits: the side limit is strict; the allocation limit is
/// the decoders' own best effort, set to what the pixel budget needs.
fn decoder_limits(limits: &Limits) -> image::Limits {
    let mut l = image::Limits::default();
    l.max_image_width = Some(MAX_SIDE);
    l.max_image_height = Some(MAX_SIDE);
    l.max_alloc = Some(limits.max_pixels.saturating_mul(4) + (64 << 20));
    l
}

fn reader<'a>(
    bytes: &'a [u8],
    format: ImageFormat,
    limits: &Limits,
) -> ImageReader<Cursor<&'a [u8]>> {
    let mut r = ImageReader::new(Cursor::new(bytes));
    r.set_format(format);
    r.limits(decoder_limits(limits));
    r
}

fn refused(e: ImageError) -> Refused {
    match e {
        ImageError::Limits(e) => Refused::TooLarge {
            what: e.to_string(),
        },
        other => Refused::Corrupt(other.to_string()),
    }
}

/// The header's dimensions, refused beyond the side or pixel limits.
fn checked_dimensions(
    bytes: &[u8],
    format: ImageFormat,
    limits: &Limits,
) -> Result<(u32, u32), Refused> {
    // into_decoder applies the limits, which checks the header's sides.
    let decoder = reader(bytes, format, limits)
        .into_decoder()
        .map_err(refused)?;
    let (w, h) = decoder.dimensions();
    check_pixels(w, h, limits)?;
    Ok((w, h))
}

fn check_pixels(w: u32, h: u32, limits: &Limits) -> Result<(), Refused> {
    if w == 0 || h == 0 {
        return Err(Refused::Corrupt("the image is empty".into()));
    }
    let pixels = u64::from(w) * u64::from(h);
    if pixels > limits.max_pixels {
        return Err(Refused::TooLarge {
            what: format!("{w}×{h} is more than {} pixels", limits.max_pixels),
        });
    }
    Ok(())
}

/// The first frame, upright (EXIF orientation applied), as pixels only.
fn decode_static(
    bytes: &[u8],
    format: ImageFormat,
    limits: &Limits,
) -> Result<DynamicImage, Refused> {
    let mut decoder = reader(bytes, format, limits)
        .into_decoder()
        .map_err(refused)?;
    let (w, h) = decoder.dimensions();
    check_pixels(w, h, limits)?;
    let orientation = decoder.orientation().map_err(refused)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(refused)?;
    img.apply_orientation(orientation);
    Ok(img)
}

/// Frames of a GIF, counted up to `stop`.
fn gif_frames(bytes: &[u8], limits: &Limits, stop: usize) -> Result<usize, Refused> {
    let mut decoder = GifDecoder::new(Cursor::new(bytes)).map_err(refused)?;
    decoder
        .set_limits(decoder_limits(limits))
        .map_err(refused)?;
    let (w, h) = decoder.dimensions();
    check_pixels(w, h, limits)?;
    let mut n = 0;
    for frame in decoder.into_frames().take(stop) {
        frame.map_err(refused)?;
        n += 1;
    }
    Ok(n)
}

/// An animated GIF re-encoded frame by frame (so nothing but pixels and
/// delays survives), within the frame and work budgets; its first frame is
/// the preview.
fn animated_gif(bytes: &[u8], limits: &Limits) -> Result<Processed, Refused> {
    let mut decoder = GifDecoder::new(Cursor::new(bytes)).map_err(refused)?;
    decoder
        .set_limits(decoder_limits(limits))
        .map_err(refused)?;
    let (w, h) = decoder.dimensions();
    check_pixels(w, h, limits)?;
    let per_frame = u64::from(w) * u64::from(h);
    let mut out = Vec::new();
    let mut first: Option<DynamicImage> = None;
    {
        let mut encoder = GifEncoder::new_with_speed(&mut out, 10);
        encoder.set_repeat(Repeat::Infinite).map_err(refused)?;
        for (i, frame) in decoder.into_frames().enumerate() {
            if i >= MAX_FRAMES || (i as u64 + 1) * per_frame > MAX_FRAME_PIXELS {
                return Err(Refused::TooLarge {
                    what: format!(
                        "an animation of more than {MAX_FRAMES} frames or {MAX_FRAME_PIXELS} pixels in all"
                    ),
                });
            }
            let frame = frame.map_err(refused)?;
            if first.is_none() {
                first = Some(DynamicImage::ImageRgba8(frame.buffer().clone()));
            }
            encoder.encode_frame(frame).map_err(refused)?;
        }
    }
    let first = first.ok_or_else(|| Refused::Corrupt("the animation has no frame".into()))?;
    let small = fit_area(first, SMALL_PIXELS, FilterType::Triangle);
    let (small_content_type, small_ext, small_bytes) = encode_static(&small)?;
    Ok(Processed {
        content_type: "image/gif",
        ext: "gif",
        bytes: out,
        width: w,
        height: h,
        blurhash: blurhash_of(&small),
        small: small_bytes,
        small_content_type,
        small_ext,
        small_width: small.width(),
        small_height: small.height(),
        animated: true,
    })
}

/// Scaled down (never up) to at most `max` pixels, keeping the aspect ratio.
fn fit_area(img: DynamicImage, max: u64, filter: FilterType) -> DynamicImage {
    let (w, h) = (img.width(), img.height());
    let pixels = u64::from(w) * u64::from(h);
    if pixels <= max {
        return img;
    }
    let scale = (max as f64 / pixels as f64).sqrt();
    let nw = ((f64::from(w) * scale).floor() as u32).max(1);
    let nh = ((f64::from(h) * scale).floor() as u32).max(1);
    img.resize_exact(nw, nh, filter)
}

/// JPEG for opaque images, PNG when a pixel is transparent. No encoder is
/// ever given EXIF or an ICC profile, so none is written.
fn encode_static(img: &DynamicImage) -> Result<(&'static str, &'static str, Vec<u8>), Refused> {
    let mut out = Vec::new();
    let transparent = img.color().has_alpha() && img.to_rgba8().pixels().any(|p| p.0[3] < 255);
    if transparent {
        DynamicImage::ImageRgba8(img.to_rgba8())
            .write_with_encoder(PngEncoder::new(&mut out))
            .map_err(refused)?;
        Ok(("image/png", "png", out))
    } else {
        DynamicImage::ImageRgb8(img.to_rgb8())
            .write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))
            .map_err(refused)?;
        Ok(("image/jpeg", "jpg", out))
    }
}

/// Blurhash of the preview, 4×3 components as Mastodon computes it.
fn blurhash_of(small: &DynamicImage) -> Option<String> {
    let rgba = small.to_rgba8();
    blurhash::encode(4, 3, rgba.width(), rgba.height(), rgba.as_raw()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            max_pixels: 33_177_600,
        }
    }

    #[test]
    fn html_is_not_an_image() {
        let r = process(
            b"<html><script>alert(1)</script>",
            Purpose::Attachment,
            &limits(),
        );
        assert!(matches!(r, Err(Refused::NotAnImage)), "{r:?}");
    }

    #[test]
    fn png_round_trip_is_jpeg_with_preview() {
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            1000,
            500,
            image::Rgb([200, 10, 10]),
        ));
        let mut png = Vec::new();
        img.write_with_encoder(PngEncoder::new(&mut png)).unwrap();
        let p = process(&png, Purpose::Attachment, &limits()).unwrap();
        assert_eq!(
            (p.content_type, p.width, p.height),
            ("image/jpeg", 1000, 500)
        );
        assert!(u64::from(p.small_width) * u64::from(p.small_height) <= SMALL_PIXELS);
        assert!(p.blurhash.is_some());
        let a = process(&png, Purpose::Avatar, &limits()).unwrap();
        assert_eq!((a.width, a.height), (400, 400));
    }
}
