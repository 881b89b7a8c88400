#pragma once
// Private to io/: the experiment metadata of an NXmx or CXI file, converted to SI.
#include "io/frame.hpp"

#include <hdf5.h>

namespace vulkanite::io {

// Reads whichever of the NXmx and CXI items are present; an item whose units are not
// understood is left out of the SI fields and kept verbatim in `other` under its path.
Metadata read_hdf5_metadata(hid_t file);

}  // namespace vulkanite::io
