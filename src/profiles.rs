//! Per-application profiles: how a dictation is shaped for the application it goes to. The
//! user's `[[profiles]]` come first (the first that matches wins), then the built-in ones (a
//! user profile with a built-in's name replaces it), then the plain settings.

use serde::{Deserialize, Serialize};

use crate::output::{Method, PasteKeys};
use crate::settings::{Replacement, Settings};
use crate::target::Target;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Profile {
    pub name: String,
    /// Application patterns, matched against the window's class and instance (X11) or app id
    /// (Wayland), case ignored; `*` stands for any run of characters ("*terminal*").
    pub apps: Vec<String>,
    /// A window title pattern, same syntax; with `apps` both must match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// How to deliver: "type" or "paste" (as `[output] method`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Method>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paste_keys: Option<PasteKeys>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trailing_space: Option<bool>,
    /// Press Enter after the text (send the chat message, run the command).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub press_enter: Option<bool>,
    /// LLM clean-up on or off here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cleanup: Option<bool>,
    /// The clean-up prompt (by name) to use here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// Words added to the vocabulary here.
    pub vocabulary: Vec<String>,
    /// Replacements added here (`heard => written`).
    pub replacements: Vec<Replacement>,
    /// Spoken commands ("new line", "period", …) on or off here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commands: Option<bool>,
}

/// Terminals: no trailing space, paste with Ctrl+Shift+V, and never Enter by default — a
/// dictated command must not run by surprise. Clean-up stays as configured: people dictate
/// prose into terminal programs too (chat and coding assistants, editors); a profile of their
/// own can switch it off.
pub const TERMINAL_APPS: [&str; 20] = [
    "xterm",
    "uxterm",
    "foot",
    "footclient",
    "gnome-terminal*",
    "org.gnome.Terminal",
    "org.gnome.Ptyxis",
    "konsole",
    "org.kde.konsole",
    "kitty",
    "alacritty",
    "wezterm*",
    "org.wezfurlong.wezterm",
    "xfce4-terminal",
    "tilix",
    "com.gexperts.Tilix",
    "terminator",
    "urxvt",
    "rxvt*",
    "st-256color",
];

pub fn builtin() -> Vec<Profile> {
    vec![Profile {
        name: "terminal".into(),
        apps: TERMINAL_APPS.iter().map(|a| a.to_string()).collect(),
        output: None,
        paste_keys: Some(PasteKeys::CtrlShiftV),
        trailing_space: Some(false),
        press_enter: Some(false),
        ..Profile::default()
    }]
}

/// `*` matches any run of characters; the rest literally, case ignored.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (
        pattern.to_lowercase().chars().collect(),
        text.to_lowercase().chars().collect(),
    );
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

impl Profile {
    /// A profile that names neither applications nor a title matches nothing.
    pub fn matches(&self, target: &Target) -> bool {
        if self.apps.is_empty() && self.title.is_none() {
            return false;
        }
        let app = self.apps.is_empty()
            || self
                .apps
                .iter()
                .any(|p| target.names().any(|name| glob(p, name)));
        let title = self.title.as_ref().is_none_or(|p| glob(p, &target.title));
        app && title
    }
}

/// Profiles a user can keep: each named once, and each naming an application or a title.
pub fn check(profiles: &[Profile]) -> Result<(), String> {
    for (i, p) in profiles.iter().enumerate() {
        let name = p.name.trim();
        if name.is_empty() {
            return Err(format!("profile {} needs a name", i + 1));
        }
        if profiles[..i].iter().any(|q| q.name.trim() == name) {
            return Err(format!("two profiles are named {name:?}"));
        }
        if p.apps.is_empty() && p.title.as_deref().is_none_or(|t| t.trim().is_empty()) {
            return Err(format!(
                "the profile {name:?} names no application and no window title, so it would never apply"
            ));
        }
    }
    Ok(())
}

/// The profile for `target`: the user's first match, else a built-in one.
pub fn profile_for(user: &[Profile], target: &Target) -> Option<Profile> {
    let builtin = builtin();
    let overridden = |b: &Profile| user.iter().any(|u| u.name == b.name);
    user.iter()
        .find(|p| p.matches(target))
        .cloned()
        .or_else(|| {
            builtin
                .into_iter()
                .filter(|b| !overridden(b))
                .find(|p| p.matches(target))
        })
}

/// The settings for one dictation into an application with `profile`.
pub fn apply(settings: &Settings, profile: &Profile) -> Settings {
    let mut s = settings.clone();
    if let Some(method) = profile.output {
        s.output.method = method;
    }
    if let Some(keys) = profile.paste_keys {
        s.output.paste_keys = keys;
    }
    if let Some(space) = profile.trailing_space {
        s.output.trailing_space = space;
    }
    if let Some(enter) = profile.press_enter {
        s.output.press_enter = enter;
    }
    if let Some(on) = profile.cleanup {
        s.cleanup.enabled = on;
    }
    if let Some(prompt) = &profile.prompt {
        s.cleanup.prompt = prompt.clone();
    }
    if let Some(on) = profile.commands {
        s.spoken_commands = on;
    }
    s.vocabulary.extend(profile.vocabulary.iter().cloned());
    s.replacements.extend(profile.replacements.iter().cloned());
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(app: &str, instance: Option<&str>, title: &str) -> Target {
        Target {
            app: app.into(),
            instance: instance.map(str::to_string),
            title: title.into(),
            window: "1".into(),
        }
    }

    #[test]
    fn patterns_match_with_stars_and_any_case() {
        assert!(glob("xterm", "XTerm"));
        assert!(glob("gnome-terminal*", "gnome-terminal-server"));
        assert!(glob("*mail*", "Inbox - Gmail - Firefox"));
        assert!(glob("*", ""));
        assert!(!glob("xterm", "uxterm"));
        assert!(!glob("*mail", "Gmail - Firefox"));
    }

    #[test]
    fn the_first_user_profile_wins_then_the_built_ins() {
        let xterm = target("XTerm", Some("xterm"), "bash");
        let notes = target("XTerm", Some("xterm"), "Notes — vim");
        let firefox = target("firefox", None, "Inbox - Gmail");
        // Built in: terminals get no trailing space and no Enter.
        let p = profile_for(&[], &xterm).unwrap();
        assert_eq!(p.name, "terminal");
        assert_eq!(
            (p.trailing_space, p.press_enter),
            (Some(false), Some(false))
        );
        assert!(profile_for(&[], &firefox).is_none());
        let user = vec![
            Profile {
                name: "notes".into(),
                apps: vec!["xterm".into()],
                title: Some("Notes*".into()),
                commands: Some(false),
                ..Profile::default()
            },
            Profile {
                name: "mail".into(),
                title: Some("*gmail*".into()),
                cleanup: Some(true),
                ..Profile::default()
            },
            Profile {
                name: "terminal".into(),
                apps: vec!["xterm".into()],
                press_enter: Some(true),
                ..Profile::default()
            },
            Profile {
                name: "matches nothing".into(),
                ..Profile::default()
            },
        ];
        assert_eq!(profile_for(&user, &notes).unwrap().name, "notes");
        assert_eq!(profile_for(&user, &firefox).unwrap().name, "mail");
        // The user's "terminal" replaces the built-in one.
        let p = profile_for(&user, &xterm).unwrap();
        assert_eq!(
            (p.name.as_str(), p.press_enter, p.trailing_space),
            ("terminal", Some(true), None)
        );
        assert!(profile_for(&user, &target("foot", None, "")).is_none());
    }

    #[test]
    fn the_readme_example_is_a_valid_settings_file() {
        let readme = include_str!("../README.md");
        let start = readme
            .find("```toml\n[[profiles]]")
            .expect("an example in the README")
            + 8;
        let end = start + readme[start..].find("```").unwrap();
        let settings: Settings = toml::from_str(&readme[start..end]).unwrap();
        check(&settings.profiles).unwrap();
        let names: Vec<&str> = settings.profiles.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["chat", "mail", "prose"]);
        let mail = target("firefox", None, "Inbox (3) - Gmail");
        assert_eq!(profile_for(&settings.profiles, &mail).unwrap().name, "mail");
        assert_eq!(settings.profiles[2].replacements.len(), 1);
    }

    #[test]
    fn profiles_need_a_name_of_their_own_and_something_to_match() {
        let named = |name: &str, apps: &[&str]| Profile {
            name: name.into(),
            apps: apps.iter().map(|a| a.to_string()).collect(),
            ..Profile::default()
        };
        assert!(check(&[named("a", &["xterm"]), named("b", &["foot"])]).is_ok());
        assert_eq!(
            check(&[named(" ", &["xterm"])]).unwrap_err(),
            "profile 1 needs a name"
        );
        let twice = check(&[named("a", &["xterm"]), named("a", &["foot"])]).unwrap_err();
        assert!(twice.contains("two profiles are named \"a\""), "{twice}");
        assert!(
            check(&[named("a", &[])])
                .unwrap_err()
                .contains("never apply")
        );
    }

    #[test]
    fn a_profile_changes_only_what_it_names() {
        let settings = Settings {
            vocabulary: vec!["Utter".into()],
            ..Settings::default()
        };
        let p = &builtin()[0];
        let s = apply(&settings, p);
        assert!(!s.output.trailing_space && !s.output.press_enter);
        assert_eq!(s.cleanup, settings.cleanup);
        assert_eq!(s.output.paste_keys, PasteKeys::CtrlShiftV);
        assert_eq!(s.output.method, settings.output.method);
        assert_eq!(s.vocabulary, ["Utter"]);
        assert!(s.spoken_commands);
        let toml = toml::to_string(&Settings {
            profiles: vec![p.clone()],
            ..Settings::default()
        })
        .unwrap();
        assert!(
            toml.contains("[[profiles]]") && toml.contains("trailing_space = false"),
            "{toml}"
        );
        let back: Settings = toml::from_str(&toml).unwrap();
        assert_eq!(back.profiles, vec![p.clone()]);
    }
}
