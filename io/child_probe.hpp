#pragma once
// Private to io/: runs part of a reader once in a forked child before the process trusts a file,
// so that a crash inside a C library we cannot fix becomes a FormatError naming the file rather
// than the end of the caller. libhdf5 1.10.8 (Debian 12) dereferences NULL on some corrupt files
// (tests/data/broken/hdf5/corrupt_link_info.h5); io/hdf5.cpp is the one user. child_probe.cpp
// says why a process and what the child may and may not do.
#include <chrono>
#include <filesystem>
#include <functional>

namespace vulkanite::io {

// Forks; the child runs `work` and exits (0 when it returned, 1 when it threw: an ordinary bad
// file, which the caller then meets again in-process and reports with its own message). Returns
// when the child exited by itself. Throws FormatError when a signal killed it:
//   "PATH: LIBRARY crashed while reading this file (signal 11, SIGSEGV): the file is corrupt or not supported"
// or when it ran past `timeout` (it is then killed):
//   "PATH: LIBRARY did not finish reading this file within 30 s: the file is corrupt or not supported"
// and std::system_error when no child can be started (fork, pipe).
void probe_in_child(const std::filesystem::path& path, const char* library, const std::function<void()>& work,
                    std::chrono::seconds timeout = std::chrono::seconds(30));

}  // namespace vulkanite::io
