// The three string helpers llama.cpp's json-schema-to-grammar.cpp takes from common.cpp. Linking all of
// common.cpp would pull in its logging, sampling and download code; these few lines are all it needs.
#include <string>
#include <vector>

std::string string_join(const std::vector<std::string> &parts, const std::string &sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); i++) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::string string_repeat(const std::string &s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; i++) out += s;
  return out;
}

std::vector<std::string> string_split(const std::string &s, const std::string &sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t at; !sep.empty() && (at = s.find(sep, start)) != std::string::npos; start = at + sep.size())
    out.push_back(s.substr(start, at - start));
  out.push_back(s.substr(start));
  return out;
}
