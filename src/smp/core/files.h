// File I/O at the edges: whole-file reads and atomic writes (temp file + rename), so a crash or a
// bad input never leaves a partial output behind.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace smp {

// Reads the whole file; throws InputError naming the file if it is missing or unreadable.
std::vector<uint8_t> read_file_bytes(const std::string& path);

// Writes `bytes` to `path` through a temp file in the same folder and a rename. Throws
// InputError naming the file if the folder is not writable.
void write_file_atomic(const std::string& path, const void* data, size_t size);
inline void write_file_atomic(const std::string& path, const std::string& text) {
  write_file_atomic(path, text.data(), text.size());
}
inline void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes) {
  write_file_atomic(path, bytes.data(), bytes.size());
}

// Lower-case extension without the dot ("jpg"), or "" when there is none.
std::string file_extension(const std::string& path);

}  // namespace smp
