/* Linked into python.wasm (as an object file, so it cannot be dropped by the linker).
 * wasi-libc emulates the current directory and starts it at "/"; the Weft runtime passes the
 * intended working directory as PWD (e.g. /home/user), so adopt it before main() runs. */
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor))
static void weft_init_cwd(void) {
    const char *p = getenv("PWD");
    if (p && *p) {
        (void)chdir(p);
    }
}
