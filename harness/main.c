/* main() for bench binaries: link benchgate_main and write only BENCH()es. */
#include "benchgate.h"

int main(int argc, char **argv)
{
    return bg_main(argc, argv);
}
