//! Input device discovery: list microphones with their formats, find one by name.

use cpal::traits::{DeviceTrait, HostTrait};
use serde::Serialize;

use super::capture::CaptureError;

/// A device's stream format.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StreamFormat {
    pub sample_rate: u32,
    pub channels: u16,
    pub sample_format: String,
}

/// One range of formats a device supports.
#[derive(Debug, Clone, Serialize)]
pub struct FormatRange {
    pub channels: u16,
    pub min_rate: u32,
    pub max_rate: u32,
    pub sample_format: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct InputDevice {
    pub name: String,
    pub is_default: bool,
    /// The format Utter opens the device with; `None` if the device would not say.
    pub default_format: Option<StreamFormat>,
    pub formats: Vec<FormatRange>,
}

pub(crate) fn device_name(device: &cpal::Device) -> String {
    device
        .description()
        .map(|d| d.name().to_string())
        .unwrap_or_else(|_| device.to_string())
}

pub fn list_input_devices() -> Result<Vec<InputDevice>, CaptureError> {
    let host = cpal::default_host();
    let default_name = host.default_input_device().map(|d| device_name(&d));
    let devices = host
        .input_devices()
        .map_err(|e| CaptureError::Host(e.to_string()))?;
    Ok(devices
        .map(|device| {
            let name = device_name(&device);
            let default_format = device.default_input_config().ok().map(|c| StreamFormat {
                sample_rate: c.sample_rate(),
                channels: c.channels(),
                sample_format: c.sample_format().to_string(),
            });
            let formats = device
                .supported_input_configs()
                .map(|configs| {
                    configs
                        .map(|r| FormatRange {
                            channels: r.channels(),
                            min_rate: r.min_sample_rate(),
                            max_rate: r.max_sample_rate(),
                            sample_format: r.sample_format().to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            InputDevice {
                is_default: default_name.as_deref() == Some(name.as_str()),
                name,
                default_format,
                formats,
            }
        })
        .collect())
}

/// The named input device (exact name first, then a unique case-insensitive substring),
/// or the system default when `name` is `None`.
pub(crate) fn find_input_device(name: Option<&str>) -> Result<cpal::Device, CaptureError> {
    let host = cpal::default_host();
    let Some(wanted) = name else {
        return host
            .default_input_device()
            .ok_or(CaptureError::NoDefaultDevice);
    };
    let devices: Vec<cpal::Device> = host
        .input_devices()
        .map_err(|e| CaptureError::Host(e.to_string()))?
        .collect();
    let names: Vec<String> = devices.iter().map(device_name).collect();
    if let Some(i) = names.iter().position(|n| n == wanted) {
        return Ok(devices[i].clone());
    }
    let needle = wanted.to_lowercase();
    let matches: Vec<usize> = (0..names.len())
        .filter(|&i| names[i].to_lowercase().contains(&needle))
        .collect();
    match matches.as_slice() {
        [i] => Ok(devices[*i].clone()),
        _ => Err(CaptureError::DeviceNotFound {
            requested: wanted.to_string(),
            available: names,
        }),
    }
}
