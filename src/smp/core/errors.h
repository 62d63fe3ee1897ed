// Typed errors for users; checks for ourselves. The library never prints and never exits: the
// front ends (src/cli, the server) turn these into a message and an exit code / HTTP status.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace smp {

// Exit codes documented in the README.
enum class ExitCode : int { kOk = 0, kUsage = 2, kBadInput = 3, kInternal = 4 };

// Something the user gave us is wrong: a photo that is not an image, a design file with a bad
// field. `subject` names the file (or field); `reason` says what is wrong, in the clinic's words.
class InputError : public std::runtime_error {
 public:
  InputError(std::string subject, std::string reason)
      : std::runtime_error(subject.empty() ? reason : subject + ": " + reason),
        subject_(std::move(subject)),
        reason_(std::move(reason)) {}
  const std::string& subject() const { return subject_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string subject_, reason_;
};

// A parameter outside what makes sense (density 5000/cm², session 9): a usage error.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Our own invariant broke: a bug, reported with the values involved.
class InternalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
template <typename A, typename B>
[[noreturn]] void check_failed(const char* expr, const A& a, const B& b, const char* file,
                               int line) {
  std::ostringstream os;
  os << file << ":" << line << ": check failed: " << expr << " (" << a << " vs " << b << ")";
  throw InternalError(os.str());
}
}  // namespace detail

#define SMP_CHECK(cond)                                                                   \
  do {                                                                                    \
    if (!(cond))                                                                          \
      throw ::smp::InternalError(std::string(__FILE__) + ":" + std::to_string(__LINE__) + \
                                 ": check failed: " #cond);                               \
  } while (0)
#define SMP_CHECK_OP(a, op, b)                                                            \
  do {                                                                                    \
    const auto& smp_a_ = (a);                                                             \
    const auto& smp_b_ = (b);                                                             \
    if (!(smp_a_ op smp_b_))                                                              \
      ::smp::detail::check_failed(#a " " #op " " #b, smp_a_, smp_b_, __FILE__, __LINE__); \
  } while (0)
#define SMP_CHECK_EQ(a, b) SMP_CHECK_OP(a, ==, b)
#define SMP_CHECK_LE(a, b) SMP_CHECK_OP(a, <=, b)
#define SMP_CHECK_LT(a, b) SMP_CHECK_OP(a, <, b)

}  // namespace smp
