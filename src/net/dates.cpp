#include "dates.hpp"

#include <curl/curl.h>

#include <cstdio>
#include <ctime>
#include <string>

namespace kvps::net {

int64_t http_date_ns(std::string_view text) {
    if (text.empty()) return 0;
    time_t t = curl_getdate(std::string(text).c_str(), nullptr);
    return t > 0 ? static_cast<int64_t>(t) * 1000000000 : 0;
}

int64_t iso8601_ns(std::string_view text) {
    std::tm tm{};
    int year, month, day, hour, minute, second;
    std::string s(text);
    if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &year, &month, &day, &hour, &minute,
                    &second) != 6)
        return 0;
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    time_t seconds = timegm(&tm);
    // Out of what int64 nanoseconds hold (years 1678..2262), or fields out of their ranges.
    if (seconds < -9200000000 || seconds > 9200000000) return 0;
    int64_t ns = static_cast<int64_t>(seconds) * 1000000000;
    if (s.size() > 19 && s[19] == '.') {
        int64_t scale = 100000000;
        for (size_t i = 20; i < s.size() && s[i] >= '0' && s[i] <= '9' && scale; ++i) {
            ns += (s[i] - '0') * scale;
            scale /= 10;
        }
    }
    return ns;
}

}  // namespace kvps::net
