/* Leaks on purpose: the sanitizer build's test "reliability-leak-check-is-on" passes only when
 * LeakSanitizer reports this leak, so a leak check that silently stopped running (a ptrace
 * restriction, ASAN_OPTIONS=detect_leaks=0) is noticed instead of passing the whole suite. */
#include <stdio.h>
#include <stdlib.h>

void *volatile g_sink;

int main(void) {
    g_sink = malloc(4242);
    g_sink = NULL;
    puts("leaked 4242 bytes");
    return 0;
}
