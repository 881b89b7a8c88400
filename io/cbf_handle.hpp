#pragma once
// One CBF file parsed by libcbf, owned by a RAII handle (private to io/cbf*.cpp), and the check
// that turns libcbf's error codes into FormatError.
#include "io/frame.hpp"

#include <cbf.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <new>
#include <string>

namespace vulkanite::io {

inline void check_cbf(int error, const char* call, const std::string& name) {
  if (error != 0) throw FormatError(name + ": " + call + " failed: " + cbf_strerror(error));
}

class CbfFile {
 public:
  // `flags`: MSG_DIGEST to have sections whose Content-MD5 does not match reported, not decoded;
  // MSG_NODIGEST when only the CIF tables are read.
  CbfFile(const std::filesystem::path& path, int flags) {
    if (cbf_make_handle(&handle_) != 0) throw std::bad_alloc();
    FILE* file = std::fopen(path.c_str(), "rb");
    if (!file) {
      cbf_free_handle(handle_);
      throw FormatError(path.string() + ": cannot open (" + std::strerror(errno) + ")");
    }
    // libcbf owns the stream from here and closes it with the handle (on a few parse errors it
    // does not, and the descriptor leaks: seen twice in 2000 fuzzed files, a libcbf bug).
    const int error = cbf_read_widefile(handle_, file, flags);
    if (error != 0) {
      cbf_free_handle(handle_);
      check_cbf(error, "cbf_read_widefile", path.string());
    }
  }
  ~CbfFile() { cbf_free_handle(handle_); }
  CbfFile(const CbfFile&) = delete;
  CbfFile& operator=(const CbfFile&) = delete;
  operator cbf_handle() const { return handle_; }

 private:
  cbf_handle handle_ = nullptr;
};

}  // namespace vulkanite::io
