#pragma once
// Runs a program as a child process and captures what the user would see: its exit status, its
// stdout and its stderr, kept apart so that tests can say which stream a message belongs on.
#include <map>
#include <string>
#include <vector>

namespace vulkanite::tests {

struct ProcessResult {
  int exit_code = -1;  // the exit status, or 128 + signal number when a signal killed it
  std::string out;
  std::string err;
};

// `argv[0]` is the program's path. `environment` adds to (or overrides) this process's
// environment for the child only.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& environment = {});

// The built `vulkanite` binary (VULKANITE_CLI_PATH, set by tests/CMakeLists.txt) with `args`.
ProcessResult run_cli(const std::vector<std::string>& args, const std::map<std::string, std::string>& environment = {});

// For failure messages: the exit code and both streams.
std::string describe(const ProcessResult& result);

// A usage error as the CLI reports one: non-zero status, nothing on stdout, and one line on
// stderr, "vulkanite: error: ...", containing `text`.
void expect_error(const ProcessResult& result, const std::string& text);

}  // namespace vulkanite::tests
