/* libFuzzer target: the Google Benchmark importer (bg__import_gbench, behind
 * `benchgate import gbench`) on arbitrary bytes: an error or a run, never a
 * crash, a leak or undefined behaviour. An imported run must serialise to a
 * record the run-record loader accepts. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bg_cmds.h"
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
    if (bg__import_gbench(text, "fuzz.json", &run, err, sizeof err) == 0) {
        char *json = bg__record_to_json(&run);
        if (json) {
            bg_run back;
            if (bg__record_parse(json, &back, err, sizeof err) != 0)
                abort(); /* an import the store could not read back */
            bg__run_free(&back);
            free(json);
        }
        bg__run_free(&run);
    }
    free(text);
    return 0;
}
