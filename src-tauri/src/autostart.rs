//! "Start at login": an XDG autostart entry (`$XDG_CONFIG_HOME/autostart/utter.desktop`).

use std::path::{Path, PathBuf};

fn autostart_file(config_home: &Path) -> PathBuf {
    config_home.join("autostart").join("utter.desktop")
}

fn config_home() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")))
}

/// Create or remove the autostart entry to match the setting.
pub fn apply(enabled: bool) -> std::io::Result<()> {
    let Some(home) = config_home() else {
        return Ok(());
    };
    let exe = std::env::current_exe()?;
    set(&home, enabled, &exe)
}

fn set(config_home: &Path, enabled: bool, exe: &Path) -> std::io::Result<()> {
    let file = autostart_file(config_home);
    if !enabled {
        return match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
    }
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // TryExec: once Utter is uninstalled, desktops skip the entry instead of failing on it.
    let entry = format!(
        "[Desktop Entry]\nType=Application\nName=Utter\nComment=Local dictation\n\
         Exec=\"{exe}\"\nTryExec={exe}\nTerminal=false\nX-GNOME-Autostart-enabled=true\n",
        exe = exe.display()
    );
    std::fs::write(file, entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_is_written_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let exe = Path::new("/opt/utter/utter-desktop");
        set(dir.path(), true, exe).unwrap();
        let text = std::fs::read_to_string(autostart_file(dir.path())).unwrap();
        assert!(text.contains("Exec=\"/opt/utter/utter-desktop\""), "{text}");
        assert!(
            text.contains("TryExec=/opt/utter/utter-desktop\n"),
            "{text}"
        );
        set(dir.path(), false, exe).unwrap();
        assert!(!autostart_file(dir.path()).exists());
        set(dir.path(), false, exe).unwrap();
    }
}
