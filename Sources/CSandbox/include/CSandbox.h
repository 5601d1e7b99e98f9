#ifndef CSANDBOX_H
#define CSANDBOX_H
/* The child side of the sandbox's clone(): filled in by the sandbox core. */
int csandbox_version(void);
#endif
