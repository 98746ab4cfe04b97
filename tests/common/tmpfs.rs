//! A small tmpfs of the test's own, to fill up: a real full disk. Mounting needs root (CI
//! runs as root); elsewhere the tests that need one say so and skip.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Tmpfs {
    pub path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmpfs {
    /// A tmpfs of `kib` KiB, or None (with a message) where mounting is not allowed.
    pub fn mount(kib: u64) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("disk");
        std::fs::create_dir_all(&path).unwrap();
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={kib}k,mode=0700"),
                "tmpfs",
            ])
            .arg(&path)
            .output();
        match out {
            Ok(out) if out.status.success() => Some(Tmpfs { path, _dir: dir }),
            Ok(out) => {
                eprintln!(
                    "SKIPPED: cannot mount a tmpfs here ({}); run as root to test a full disk",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("SKIPPED: no mount command ({e})");
                None
            }
        }
    }

    /// Fill the disk with a file until it is full, then give back `free` bytes.
    pub fn fill_leaving(&self, free: u64) -> PathBuf {
        let filler = self.path.join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 * 1024];
        loop {
            match file.write(&block) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        let _ = file.flush();
        let len = file.metadata().unwrap().len();
        file.set_len(len.saturating_sub(free)).unwrap();
        drop(file);
        filler
    }

    pub fn free_bytes(&self) -> u64 {
        rustix::fs::statvfs(&self.path)
            .map(|s| s.f_bavail * s.f_frsize)
            .unwrap_or(0)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Tmpfs {
    /// Unmount; threads of the test that still hold files there (a session's worker winding
    /// down) get a moment, then the mount is detached lazily.
    fn drop(&mut self) {
        for _ in 0..20 {
            let done = Command::new("umount")
                .arg(&self.path)
                .stderr(std::process::Stdio::null())
                .status();
            if done.is_ok_and(|s| s.success()) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}
