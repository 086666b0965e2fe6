/* libFuzzer target: the run-record loader (bg__record_parse, the reader
 * behind the store, compare, gate and report) on arbitrary bytes. Anything
 * goes in; it must return 0 or an error, never crash, leak or misbehave
 * under ASan+UBSan. A run it accepts must serialise and load again. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bg_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    bg_run run;
    char err[1024];
    if (bg__record_parse(text, &run, err, sizeof err) == 0) {
        char *again = bg__record_to_json(&run);
        if (again) {
            bg_run run2;
            if (bg__record_parse(again, &run2, err, sizeof err) != 0)
                abort(); /* what we write, we must read */
            bg__run_free(&run2);
            free(again);
        }
        bg__run_free(&run);
    }
    free(text);
    return 0;
}
