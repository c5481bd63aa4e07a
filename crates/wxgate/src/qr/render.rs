//! Drawing a QR code's content (the `url` WeChat returns) locally, as SVG or PNG, so a poster
//! does not depend on fetching `showqrcode`.
use qrcode::render::svg as svg_render;
use qrcode::{Color, QrCode};

/// Pixels per module: a 33-module code with its quiet zone comes out at 328 × 328.
pub const MODULE_PIXELS: u32 = 8;
/// Light modules around the code, as the QR standard asks.
pub const QUIET_ZONE_MODULES: u32 = 4;

/// Why a code could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The content does not fit in a QR code.
    #[error("cannot encode the QR content: {0}")]
    Encode(#[from] qrcode::types::QrError),
    /// The PNG encoder failed.
    #[error("cannot write the PNG: {0}")]
    Png(#[from] png::EncodingError),
}

/// `content` drawn as an SVG document: black modules on white, quiet zone included.
pub fn svg(content: &str) -> Result<String, RenderError> {
    let code = QrCode::new(content.as_bytes())?;
    Ok(code
        .render::<svg_render::Color>()
        .quiet_zone(true)
        .module_dimensions(MODULE_PIXELS, MODULE_PIXELS)
        .build())
}

/// `content` drawn as an 8-bit greyscale PNG: black modules on white, quiet zone included.
pub fn png(content: &str) -> Result<Vec<u8>, RenderError> {
    let code = QrCode::new(content.as_bytes())?;
    let (side, pixels) = greyscale(&code);
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&pixels)?;
        writer.finish()?;
    }
    Ok(out)
}

/// The side in pixels and the greyscale pixels (row by row) of `code`.
fn greyscale(code: &QrCode) -> (u32, Vec<u8>) {
    let modules = code.width();
    let colors = code.to_colors();
    let quiet = QUIET_ZONE_MODULES as usize;
    let scale = MODULE_PIXELS as usize;
    let side = (modules + 2 * quiet) * scale;
    let mut pixels = vec![255u8; side * side];
    for (index, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (mx, my) = (index % modules + quiet, index / modules + quiet);
        for y in my * scale..(my + 1) * scale {
            let row = y * side;
            pixels[row + mx * scale..row + (mx + 1) * scale].fill(0);
        }
    }
    // A QR code is at most 177 modules wide, so the side always fits in u32.
    (u32::try_from(side).unwrap_or(u32::MAX), pixels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_has_the_quiet_zone_and_module_size() {
        let svg = svg("http://weixin.qq.com/q/abc").unwrap();
        let modules = QrCode::new("http://weixin.qq.com/q/abc").unwrap().width() as u32;
        let side = (modules + 2 * QUIET_ZONE_MODULES) * MODULE_PIXELS;
        assert!(
            svg.contains(&format!(r#"width="{side}" height="{side}""#)),
            "{svg}"
        );
    }

    #[test]
    fn png_is_a_png_of_the_expected_size() {
        let bytes = png("http://weixin.qq.com/q/abc").unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes.as_slice()));
        let reader = decoder.read_info().unwrap();
        let modules = QrCode::new("http://weixin.qq.com/q/abc").unwrap().width() as u32;
        let side = (modules + 2 * QUIET_ZONE_MODULES) * MODULE_PIXELS;
        assert_eq!((reader.info().width, reader.info().height), (side, side));
    }
}
