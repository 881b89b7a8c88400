#pragma once
// Opening detector files: the format is recognised from the first bytes, not the extension,
// and a stack (HDF5 [n, y, x]) is read frame by frame, never whole.
#include "io/frame.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace vulkanite::io {

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  virtual std::size_t frame_count() const = 0;
  // Frame `index` (0-based); throws FormatError naming the file and the problem.
  virtual Frame read(std::size_t index) = 0;
  // As read(index), building the frame's pixels in `storage` (the buffer of a frame no longer
  // needed) where the format allows: a reader that hands its frames back this way saves
  // allocating, zero-filling and freeing each one. Formats that cannot reuse it drop it.
  virtual Frame read_reusing(std::size_t index, std::vector<std::byte> storage) {
    storage = {};
    return read(index);
  }
  // "miniCBF byte-offset", "CBF packed (64 arrays)", "TIFF", "HDF5 NXmx /entry/data/data", "NumPy"
  virtual std::string format() const = 0;
};

enum class Format { cbf, tiff, hdf5, npy, unknown };

// From the file's first bytes ("###CBF", TIFF byte-order marks, the HDF5 signature, "\x93NUMPY").
Format detect_format(const std::filesystem::path& path);

// Any supported file (io/open.cpp); FormatError for unknown or broken ones.
std::unique_ptr<FrameSource> open_frames(const std::filesystem::path& path);

// How many frames open_frames(path)->frame_count() gives, for a file already known to be of
// `format`: a CBF holds one frame, so it is not read (a broken one fails when its frame is).
std::size_t frame_count(const std::filesystem::path& path, Format format);

// One per format, each in its own file (io/cbf.cpp, io/tiff.cpp, io/hdf5.cpp, io/npy.cpp).
std::unique_ptr<FrameSource> open_cbf(const std::filesystem::path& path);
std::unique_ptr<FrameSource> open_tiff(const std::filesystem::path& path);
// `dataset`: the frames' dataset; empty = found from NeXus NXmx (/entry/data/data*) or CXI
// (/entry_1/data_1/data, /entry_1/instrument_1/detector_1/data) conventions.
std::unique_ptr<FrameSource> open_hdf5(const std::filesystem::path& path, const std::string& dataset = "");
std::unique_ptr<FrameSource> open_npy(const std::filesystem::path& path);

}  // namespace vulkanite::io
