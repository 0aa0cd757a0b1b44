//! SVG to PNG with resvg (pure Rust), drawing text with the system's fonts: the generic
//! `sans-serif` of plotters' SVG maps to the first installed of [`SANS_FAMILIES`]. Without
//! any of them the PNG is still drawn, with whatever sans face fontdb finds (or no text).
use std::sync::{Arc, OnceLock};

use resvg::tiny_skia::{Color, Pixmap, Transform};
use resvg::usvg::{self, fontdb};

use crate::error::{Error, Result};

/// Families tried for `sans-serif`, in order (Debian's fonts-dejavu-core first).
pub const SANS_FAMILIES: [&str; 5] = [
    "DejaVu Sans",
    "Liberation Sans",
    "Noto Sans",
    "Arial",
    "FreeSans",
];

fn font_db() -> Arc<fontdb::Database> {
    static DB: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = fontdb::Database::new();
        db.load_system_fonts();
        let installed = |name: &str| {
            db.faces()
                .any(|f| f.families.iter().any(|(family, _)| family == name))
        };
        if let Some(name) = SANS_FAMILIES.into_iter().find(|n| installed(n)) {
            db.set_sans_serif_family(name);
        }
        Arc::new(db)
    })
    .clone()
}

/// Rasterises an SVG document at its own size on a white background; returns PNG bytes.
pub fn svg_to_png(svg: &str) -> Result<Vec<u8>> {
    let err = |reason: String| Error::Png { reason };
    let opt = usvg::Options {
        fontdb: font_db(),
        font_family: SANS_FAMILIES[0].into(),
        ..Default::default()
    };
    let tree = usvg::Tree::from_str(svg, &opt).map_err(|e| err(e.to_string()))?;
    let size = tree.size().to_int_size();
    let mut pixmap = Pixmap::new(size.width(), size.height()).ok_or_else(|| {
        err(format!(
            "cannot allocate {}x{}",
            size.width(),
            size.height()
        ))
    })?;
    pixmap.fill(Color::WHITE);
    resvg::render(&tree, Transform::default(), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| err(e.to_string()))
}
