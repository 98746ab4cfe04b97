fn main() {
    // The settings window's files are embedded at compile time: rebuild when they change.
    println!("cargo:rerun-if-changed=../ui");
    tauri_build::build()
}
