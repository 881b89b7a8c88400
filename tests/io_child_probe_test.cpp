// io/child_probe: the forked probe that turns a crash inside a C library into a FormatError. The
// real crash (libhdf5 on tests/data/broken/hdf5/corrupt_link_info.h5) is in io_hdf5_test.cpp;
// here each way a child can end is provoked directly.
#include "io/child_probe.hpp"
#include "io/frame.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <stdexcept>
#include <string>

namespace vulkanite {
namespace {

std::string probe_error(const std::function<void()>& work, std::chrono::seconds timeout = std::chrono::seconds(30)) {
  try {
    io::probe_in_child("file.h5", "libexample", work, timeout);
  } catch (const io::FormatError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ChildProbe, ReturnsWhenTheChildReturnsOrThrows) {
  EXPECT_EQ(probe_error([] {}), "(no error)");
  // An ordinary bad file: the caller meets the same exception in-process, with its own message.
  EXPECT_EQ(probe_error([] { throw io::FormatError("file.h5: broken"); }), "(no error)");
  EXPECT_EQ(probe_error([] { throw 42; }), "(no error)");
}

TEST(ChildProbe, ASignalInTheChildIsAFormatErrorNamingIt) {
  EXPECT_EQ(probe_error([] { std::raise(SIGSEGV); }),
            "file.h5: libexample crashed while reading this file (signal 11, SIGSEGV): the file is corrupt or not supported");
  EXPECT_EQ(probe_error([] { std::raise(SIGBUS); }),
            "file.h5: libexample crashed while reading this file (signal 7, SIGBUS): the file is corrupt or not supported");
  EXPECT_EQ(probe_error([] { std::raise(SIGUSR1); }),
            "file.h5: libexample crashed while reading this file (signal 10): the file is corrupt or not supported");
}

TEST(ChildProbe, AChildPastTheTimeoutIsKilled) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(probe_error([] { ::pause(); }, std::chrono::seconds(1)),
            "file.h5: libexample did not finish reading this file within 1 s: the file is corrupt or not supported");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace vulkanite
