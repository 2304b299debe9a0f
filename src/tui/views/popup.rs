//! A popup's frame: cleared, bordered, with its titles drawn through `cells::Cells` like the
//! text inside. ratatui's Block draws titles with its own width count, which counts a
//! half-width voiced mark twice: the note editor's title (the conversation's subject) showed
//! `ｻﾎﾟ ｰﾄ` and lost its end.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Widget};
use ratatui::Frame;

use crate::tui::cells::{self, Cells};

/// The titles of a bordered popup, on its top and bottom borders, at the left or right.
#[derive(Default)]
pub struct Popup<'a> {
    top: Option<Line<'a>>,
    top_right: Option<Line<'a>>,
    bottom: Option<Line<'a>>,
    bottom_right: Option<Line<'a>>,
}

impl<'a> Popup<'a> {
    /// A popup titled `title` at the top left.
    pub fn titled(title: impl Into<Line<'a>>) -> Popup<'a> {
        Popup {
            top: Some(title.into()),
            ..Popup::default()
        }
    }

    pub fn top_right(mut self, title: impl Into<Line<'a>>) -> Popup<'a> {
        self.top_right = Some(title.into());
        self
    }

    pub fn bottom(mut self, title: impl Into<Line<'a>>) -> Popup<'a> {
        self.bottom = Some(title.into());
        self
    }

    pub fn bottom_right(mut self, title: impl Into<Line<'a>>) -> Popup<'a> {
        self.bottom_right = Some(title.into());
        self
    }

    /// Clears `area`, draws the frame with its titles, and returns the inside.
    pub fn draw(self, f: &mut Frame, area: Rect) -> Rect {
        let block = Block::default().borders(Borders::ALL);
        let inner = block.inner(area);
        f.render_widget(Clear, area);
        f.render_widget(block, area);
        let buf = f.buffer_mut();
        if area.height > 0 {
            titles(buf, area, area.top(), self.top, self.top_right);
        }
        if area.height > 1 {
            titles(buf, area, area.bottom() - 1, self.bottom, self.bottom_right);
        }
        inner
    }
}

/// Cells `line` takes once drawn.
fn line_width(line: &Line<'_>) -> usize {
    line.spans.iter().map(|s| cells::width(&s.content)).sum()
}

/// The titles of row `y`, between the corners: the left one first; the right one in what
/// it leaves, one cell apart, so that neither is drawn over the other. A title longer than
/// its room is cut on a cluster boundary and the border shows in the cell left over.
fn titles(buf: &mut Buffer, area: Rect, y: u16, left: Option<Line<'_>>, right: Option<Line<'_>>) {
    let start = area.left().saturating_add(1);
    let end = area.right().saturating_sub(1);
    if start >= end {
        return;
    }
    let room = |from: u16, line: &Line<'_>| {
        u16::try_from(line_width(line))
            .unwrap_or(u16::MAX)
            .min(end.saturating_sub(from))
    };
    let mut free = start;
    if let Some(line) = left {
        let w = room(start, &line);
        Cells::from(line).render(Rect::new(start, y, w, 1), buf);
        free = start.saturating_add(w).saturating_add(1);
    }
    if let Some(line) = right {
        let w = room(free, &line);
        if w > 0 {
            Cells::from(line).render(Rect::new(end - w, y, w, 1), buf);
        }
    }
}
