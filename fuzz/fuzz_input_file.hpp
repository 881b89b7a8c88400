#pragma once
// The path-based readers (open_cbf, open_tiff, open_npy, open_hdf5) take a file name, so each
// fuzz input is written to one fixed file per process (the pid keeps parallel -jobs/-workers
// runs apart) and read back through the real reader, exactly as a user's file would be.
#include "io/frame_source.hpp"

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace vulkanite::fuzz {

// Removed when the process exits normally (-max_total_time, -runs); after a crash it stays, but
// libFuzzer has saved the input as an artifact anyway.
struct InputFile {
  std::filesystem::path path;
  ~InputFile() {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
};

inline std::filesystem::path write_input_file(const std::uint8_t* data, std::size_t size, const char* extension) {
  static const InputFile file{std::filesystem::temp_directory_path() /
                              ("vulkanite_fuzz_" + std::to_string(::getpid()) + extension)};
  const std::filesystem::path& path = file.path;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) {
    // A full /tmp is the harness's problem, not the parser's: stop loudly rather than fuzz nothing.
    std::perror("vulkanite fuzz: cannot write the input file");
    std::abort();
  }
  return path;
}

// Opens the file, reads every frame and checks the one invariant every reader promises
// (io/frame.hpp: data holds shape's product x pixel_bytes(type) bytes). FormatError is the
// documented answer to a broken file and is swallowed; anything else escapes and the fuzzer
// reports it as a crash.
template <class Open>
void read_every_frame(const std::uint8_t* data, std::size_t size, const char* extension, Open open) {
  const std::filesystem::path path = write_input_file(data, size, extension);
  try {
    std::unique_ptr<io::FrameSource> source = open(path);
    (void)source->format();
    const std::size_t count = source->frame_count();
    for (std::size_t i = 0; i < count; ++i) {
      const io::Frame frame = source->read(i);
      if (frame.data.size() != frame.pixel_count() * io::pixel_bytes(frame.type)) {
        std::fprintf(stderr, "vulkanite fuzz: frame %zu holds %zu bytes for %zu pixels of %s\n", i,
                     frame.data.size(), frame.pixel_count(), io::pixel_type_name(frame.type));
        std::abort();
      }
    }
  } catch (const io::FormatError&) {
  }
}

}  // namespace vulkanite::fuzz
