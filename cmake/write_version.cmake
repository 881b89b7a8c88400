# Writes generated/vulkanite/version.hpp with the current commit (script mode, run at every
# build so that reports name the commit they were built from). Rewrites only on change.
execute_process(COMMAND git describe --always --dirty --abbrev=12
                WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE VULKANITE_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT VULKANITE_GIT_COMMIT)
  set(VULKANITE_GIT_COMMIT unknown)
endif()
configure_file(${SOURCE_DIR}/cmake/version.hpp.in ${OUTPUT} @ONLY)
