#pragma once

#include <fcntl.h>
#include <unistd.h>

namespace autoaug::tools {

// Silences file descriptor 2 for its lifetime. Image decoders (libpng, libjpeg) print their own
// diagnostics on stderr before OpenCV returns an empty image; the command line reports the
// failure itself in one line naming the file. Only for single-threaded command code: it changes
// the process-wide descriptor.
class QuietStderr {
 public:
  QuietStderr() : saved_(dup(2)) {
    const int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved_ >= 0 && null >= 0) dup2(null, 2);
    if (null >= 0) close(null);
  }
  ~QuietStderr() {
    if (saved_ >= 0) {
      dup2(saved_, 2);
      close(saved_);
    }
  }
  QuietStderr(const QuietStderr&) = delete;
  QuietStderr& operator=(const QuietStderr&) = delete;

 private:
  int saved_;
};

}  // namespace autoaug::tools
