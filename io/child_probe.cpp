// Why a child process: libhdf5 1.10.8 segfaults inside the library on some corrupt files (a
// damaged Link Info message sends H5Lexists into H5B2_open, which memcpys from NULL in
// H5F__accum_read; fuzz/README.md). We cannot fix the library, cannot ship another one (users
// link their distribution's), and cannot vet every file structure before libhdf5 reads it. A
// SIGSEGV cannot be recovered from inside the process that took it: after a fault in the
// library its state is unknown, and longjmp-ing out of a signal handler would leave libhdf5's
// caches and our handles half-built. A process boundary is the only containment, so the same
// code that will read the file in-process runs first in a forked child, which dies instead.
//
// Forking a process that may already run threads (a Vulkan driver's, the caller's): only the
// forking thread exists in the child, and a lock another thread held at fork() stays held
// there. Strictly only async-signal-safe calls are allowed in such a child; we run libhdf5 and
// malloc in it anyway, because the point is to run the very code path the parent will run.
// What makes that acceptable: glibc's fork() takes malloc's locks around the fork, libhdf5 serial
// takes no locks at all (and is not thread-safe, so no other thread may be inside it anyway),
// and a child that deadlocks on some other lock is killed at the timeout. The child never
// touches Vulkan (the reader does not), writes nothing to stdout, and leaves with _exit: no
// atexit handlers, so libhdf5 does not flush files the parent holds open for writing and the
// parent's stdio buffers are not written twice.
//
// Cost: a fork (copy-on-write page tables) plus opening the file and reading its first frame
// once more; docs/hdf5_probe.md has the figures.
#include "io/child_probe.hpp"

#include "io/frame.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <optional>
#include <string>
#include <system_error>

namespace vulkanite::io {
namespace {

class Fd {
 public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const noexcept { return fd_; }
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// The forked child; killed and reaped if the parent stops waiting early (timeout, exception), so
// no probe outlives its call or stays a zombie.
class Child {
 public:
  explicit Child(pid_t pid) noexcept : pid_(pid) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    wait();
  }
  // Its wait status; nullopt when there is none to get (the application set SIGCHLD to SIG_IGN,
  // so the kernel reaped it): the probe then cannot tell, and the caller reads unprotected.
  std::optional<int> wait() noexcept {
    int status = 0;
    pid_t reaped = 0;
    while ((reaped = ::waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    if (reaped < 0) return std::nullopt;
    return status;
  }

 private:
  pid_t pid_;
};

std::string signal_text(int number) {
  const char* name = number == SIGSEGV   ? "SIGSEGV"
                     : number == SIGBUS  ? "SIGBUS"
                     : number == SIGABRT ? "SIGABRT"
                     : number == SIGFPE  ? "SIGFPE"
                     : number == SIGILL  ? "SIGILL"
                     : number == SIGKILL ? "SIGKILL"
                                         : nullptr;
  return "signal " + std::to_string(number) + (name ? std::string(", ") + name : std::string());
}

[[noreturn]] void run_child(const std::function<void()>& work) {
  // A handler the application or a sanitizer installed for these would run in the child and
  // might exit normally, hiding the crash; and a crash here is expected, not worth a core file.
  for (const int number : {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL}) std::signal(number, SIG_DFL);
  const rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  int code = 1;
  try {
    work();
    code = 0;
  } catch (...) {
  }
  ::_exit(code);
}

}  // namespace

void probe_in_child(const std::filesystem::path& path, const char* library, const std::function<void()>& work,
                    std::chrono::seconds timeout) {
  // The child holds the pipe's write end and never writes: the read end sees end-of-file when the
  // child is gone, however it went, which poll() can wait for with a timeout (waitpid cannot).
  int ends[2];
  if (::pipe(ends) != 0) throw std::system_error(errno, std::generic_category(), "pipe (to probe " + path.string() + ")");
  Fd read_end(ends[0]), write_end(ends[1]);
  ::fcntl(read_end.get(), F_SETFD, FD_CLOEXEC);
  ::fcntl(write_end.get(), F_SETFD, FD_CLOEXEC);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork (to probe " + path.string() + ")");
  if (pid == 0) run_child(work);

  Child child(pid);
  write_end.reset();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      throw FormatError(path.string() + ": " + library + " did not finish reading this file within " +
                        std::to_string(timeout.count()) + " s: the file is corrupt or not supported");
    pollfd end{read_end.get(), POLLIN, 0};
    const int ready = ::poll(&end, 1, static_cast<int>(left.count()));
    if (ready > 0) break;
    if (ready < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "poll (probing " + path.string() + ")");
  }
  const auto status = child.wait();
  if (status && WIFSIGNALED(*status))
    throw FormatError(path.string() + ": " + library + " crashed while reading this file (" +
                      signal_text(WTERMSIG(*status)) + "): the file is corrupt or not supported");
}

}  // namespace vulkanite::io
