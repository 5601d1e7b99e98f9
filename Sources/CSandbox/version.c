#include "CSandbox.h"
int csandbox_version(void) { return 1; }
