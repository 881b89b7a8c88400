#pragma once
namespace vulkanite::apps {
// `vulkanite devices [--json]`: every Vulkan device with its driver and the features we use.
int devices_command(bool json);
}  // namespace vulkanite::apps
