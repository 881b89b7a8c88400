#pragma once
// Private to io/: RAII for libhdf5's hid_t handles and the one place HDF5 errors become
// exceptions. Includes hdf5.h, so only io/*.cpp include it; public headers never do.
#include <hdf5.h>

#include <optional>
#include <string>
#include <utility>

namespace vulkanite::io::h5 {

// Owns one hid_t and closes it with the close call of its kind (H5Fclose, H5Dclose, ...).
class Handle {
 public:
  using Close = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Close close) noexcept : id_(id), close_(close) {}
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)), close_(other.close_) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
      close_ = other.close_;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  hid_t get() const noexcept { return id_; }
  explicit operator bool() const noexcept { return id_ >= 0; }
  hid_t release() noexcept { return std::exchange(id_, H5I_INVALID_HID); }
  void reset() noexcept {
    if (id_ >= 0 && close_) close_(id_);
    id_ = H5I_INVALID_HID;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Close close_ = nullptr;
};

// libhdf5 prints its whole error stack to stderr on every failed call by default, which would
// bury our one-line FormatError under dozens of lines for each expected probe (a missing
// optional metadata item, a broken file). While a Quiet lives the automatic printing is off;
// failures are then read back from the stack with `last_error()` and put into the exception.
// The previous handler is restored afterwards, so an application's own HDF5 settings survive.
// (libhdf5 serial is not thread-safe anyway, so toggling its process-wide handler is no new race.)
class Quiet {
 public:
  Quiet() noexcept {
    H5Eget_auto2(H5E_DEFAULT, &old_func_, &old_data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~Quiet() { H5Eset_auto2(H5E_DEFAULT, old_func_, old_data_); }
  Quiet(const Quiet&) = delete;
  Quiet& operator=(const Quiet&) = delete;

 private:
  H5E_auto2_t old_func_ = nullptr;
  void* old_data_ = nullptr;
};

// The innermost and outermost descriptions on the current error stack, e.g.
// "unable to open file: file signature not found"; "unknown HDF5 error" when the stack is empty.
std::string last_error();

// Each returns a valid handle or throws std::runtime_error("<what>: <last_error()>"); callers
// that know the file wrap it into a FormatError.
Handle check(hid_t id, Handle::Close close, const char* what);
void check(herr_t status, const char* what);

// Whether `path` ("/entry/data/data") names a link in `file`, checking each component in turn
// as H5Lexists requires. True for a dangling external link too: opening tells that apart.
bool link_exists(hid_t file, const std::string& path);

// The value of a numeric dataset holding one element (scalar or shape [1]); nullopt when the
// path is absent or holds something else.
std::optional<double> read_number(hid_t file, const std::string& path);

// A string attribute of the object at `path` (fixed or variable length), nullopt when absent.
std::optional<std::string> read_string_attribute(hid_t file, const std::string& path, const char* name);

}  // namespace vulkanite::io::h5
