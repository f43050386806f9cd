/* Assertions shared by the C and C++ cmocka tests (include after cmocka.h): a failed status
 * check prints the call, both statuses and the library's message. */
#ifndef KVPS_TEST_H
#define KVPS_TEST_H

#include <string.h>

#include "kvps.h"

#define ASSERT_STATUS(expected, call)                                                  \
    do {                                                                               \
        kvps_status got_ = (call);                                                     \
        if (got_ != (expected))                                                        \
            fail_msg("%s returned %s, expected %s: %s", #call, kvps_status_name(got_), \
                     kvps_status_name(expected), kvps_last_error());                   \
    } while (0)
#define ASSERT_OK(call) ASSERT_STATUS(KVPS_OK, call)
#define ASSERT_MESSAGE_HAS(text)                                                        \
    do {                                                                                \
        if (!strstr(kvps_last_error(), (text)))                                         \
            fail_msg("message does not mention \"%s\": %s", (text), kvps_last_error()); \
    } while (0)

#endif
