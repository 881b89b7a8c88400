#pragma once
// A stack of frames [n, rows, columns] in their own pixel type, written one frame at a time into a
// new HDF5 file laid out as NXmx (/entry NXentry, /entry/data NXdata, /entry/data/data): what
// io::open_hdf5, h5py, DIALS and CrystFEL read. The results writer (io/h5_writer.hpp) holds whole
// float32 arrays in memory; a run of Pilatus 6M frames does not fit there, hence this one.
#include <array>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "io/frame.hpp"

namespace vulkanite::io {

class H5StackWriter {
 public:
  // Creates `path` (replacing an existing file) with room for `frames` frames. Throws FormatError
  // naming the file for any HDF5 failure.
  H5StackWriter(const std::filesystem::path& path, std::size_t frames, std::array<std::size_t, 2> shape,
                PixelType type);
  ~H5StackWriter();
  H5StackWriter(const H5StackWriter&) = delete;
  H5StackWriter& operator=(const H5StackWriter&) = delete;

  // Frame `index`; its shape and pixel type must be the stack's (std::invalid_argument otherwise).
  void write(std::size_t index, const Frame& frame);
  // A scalar float64 dataset with a "units" attribute, e.g. NXmx's
  // /entry/instrument/detector/beam_center_x in "pixel" (missing groups are created).
  void write_number(const std::string& path, double value, const std::string& units);
  // Flushes and closes; throws FormatError on failure. The destructor closes without throwing.
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vulkanite::io
