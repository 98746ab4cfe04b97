//! Owner-only files: recordings, transcripts, settings and logs are private to the user.
//! Everything Utter creates is 0700 / 0600 (the process's umask), and what an earlier version
//! or another tool left readable by other accounts is tightened at start.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use rustix::fs::Mode;

/// Bits that let other accounts in.
const GROUP_AND_OTHERS: u32 = 0o077;

/// Files and folders made private in one place, to be said once.
#[derive(Debug, Default)]
pub struct Tightened {
    pub dir: PathBuf,
    pub count: usize,
}

/// Make every file this process creates owner-only, and tighten Utter's data, config and
/// cache folders (the models folder too when it lies inside them). Returns what was fixed.
pub fn make_private() -> Vec<Tightened> {
    rustix::process::umask(Mode::from_bits_truncate(GROUP_AND_OTHERS));
    let dirs = [
        crate::paths::data_dir(),
        crate::paths::config_dir(),
        crate::paths::cache_dir(),
    ];
    dirs.into_iter()
        .flatten()
        .filter(|dir| dir.is_dir())
        .map(|dir| Tightened {
            count: tighten(&dir),
            dir,
        })
        .filter(|t| t.count > 0)
        .collect()
}

/// Log what [`make_private`] fixed (once per start).
pub fn report(tightened: &[Tightened]) {
    for t in tightened {
        tracing::warn!(
            "{} files and folders in {} were readable by other accounts; they are owner-only now",
            t.count,
            t.dir.display()
        );
    }
}

/// Strip group and other permissions below `path` (symbolic links are left alone: what they
/// point to is not ours to change). Returns how many entries changed.
fn tighten(path: &Path) -> usize {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if meta.file_type().is_symlink() {
        return 0;
    }
    let mode = meta.permissions().mode();
    let mut changed = 0;
    if mode & GROUP_AND_OTHERS != 0 {
        let private = std::fs::Permissions::from_mode(mode & !GROUP_AND_OTHERS);
        match std::fs::set_permissions(path, private) {
            Ok(()) => changed += 1,
            Err(e) => tracing::warn!("cannot make {} owner-only: {e}", path.display()),
        }
    }
    if meta.is_dir()
        && let Ok(entries) = std::fs::read_dir(path)
    {
        for entry in entries.flatten() {
            changed += tighten(&entry.path());
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path)
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn wide_modes_are_tightened_and_links_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("data");
        std::fs::create_dir_all(root.join("recordings")).unwrap();
        std::fs::write(root.join("recordings/a.wav"), b"RIFF").unwrap();
        std::fs::write(root.join("history.sqlite3"), b"").unwrap();
        let outside = dir.path().join("shared-model.bin");
        std::fs::write(&outside, b"").unwrap();
        std::os::unix::fs::symlink(&outside, root.join("model.bin")).unwrap();
        for (path, m) in [
            (root.clone(), 0o755),
            (root.join("recordings"), 0o775),
            (root.join("recordings/a.wav"), 0o644),
            (root.join("history.sqlite3"), 0o600),
            (outside.clone(), 0o644),
        ] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(m)).unwrap();
        }
        assert_eq!(tighten(&root), 3);
        assert_eq!(mode(&root), 0o700);
        assert_eq!(mode(&root.join("recordings")), 0o700);
        assert_eq!(mode(&root.join("recordings/a.wav")), 0o600);
        assert_eq!(mode(&outside), 0o644, "what a link points to is not ours");
        assert_eq!(tighten(&root), 0, "nothing left to do");
    }
}
