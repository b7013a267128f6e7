# cmake -DIN=file -DOUT=file.c -DNAME=symbol -P cw_embed_text.cmake
#
# Writes OUT, a C source defining `const char NAME[]` with the text of IN
# (a Python helper the shim runs inside the interpreter it watches).
file(READ ${IN} text)
string(REPLACE "\\" "\\\\" text "${text}")
string(REPLACE "\"" "\\\"" text "${text}")
string(REPLACE "\n" "\\n\"\n    \"" text "${text}")
file(WRITE ${OUT}.tmp "/* Generated from ${IN} by cmake/cw_embed_text.cmake: do not edit. */\nconst char ${NAME}[] =\n    \"${text}\";\n")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
