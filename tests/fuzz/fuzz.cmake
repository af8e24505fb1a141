# The libFuzzer targets of tests/fuzz, one per parser fed by untrusted
# input.  Built only with -DMN_FUZZ=ON and clang; tests/fuzz/run.sh passes
# the instrumentation (-fsanitize=fuzzer-no-link,address,undefined) for
# every object, so the core's code is what the fuzzer steers by.
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
	message(FATAL_ERROR "MN_FUZZ needs clang (libFuzzer): "
		"cmake -DCMAKE_C_COMPILER=clang, or tests/fuzz/run.sh")
endif()
foreach(name ctl shell config sys path)
	add_executable(fuzz_${name} ${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_${name}.c)
	target_include_directories(fuzz_${name} PRIVATE ${MN_SRC_INCLUDE}
		${PROJECT_SOURCE_DIR}/sandbox)
	target_link_libraries(fuzz_${name} PRIVATE ${MN_ADAPTERS} micronos_core)
	target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
endforeach()
