# Installation and the Debian package (docs/operations.md, "Installing").
#
# `cmake --install` puts the binary in bin/, the built web client in share/parley/web (where
# the binary looks for it, relative to itself), the systemd unit, the example configuration
# in <sysconfdir>/parley/parley.toml and the environment file <sysconfdir>/default/parley.
# `cpack -G DEB` (scripts/package.sh, with the /usr prefix) packs the same as a .deb whose
# dependencies dpkg-shlibdeps reads from the binary.
include(GNUInstallDirs)

set(PARLEY_WEB_DIST "${CMAKE_SOURCE_DIR}/web/dist" CACHE PATH
    "the built web client to install (scripts/build-web.sh)")
install(DIRECTORY "${PARLEY_WEB_DIST}/" DESTINATION ${CMAKE_INSTALL_DATADIR}/parley/web OPTIONAL)
install(CODE "
  if(NOT EXISTS \"${PARLEY_WEB_DIST}/index.html\")
    message(WARNING \"no built web client in ${PARLEY_WEB_DIST} (run scripts/build-web.sh): \"
                    \"the installed server will serve the API only, and say so when it starts\")
  endif()")

set(PARLEY_BINARY "${CMAKE_INSTALL_FULL_BINDIR}/parley")
set(PARLEY_CONFIG_FILE "${CMAKE_INSTALL_FULL_SYSCONFDIR}/parley/parley.toml")
set(PARLEY_ENV_FILE "${CMAKE_INSTALL_FULL_SYSCONFDIR}/default/parley")
set(PARLEY_DOC_DIR "${CMAKE_INSTALL_FULL_DOCDIR}")
configure_file(deploy/systemd/parley.service.in "${CMAKE_BINARY_DIR}/parley.service" @ONLY)
install(FILES "${CMAKE_BINARY_DIR}/parley.service" DESTINATION lib/systemd/system)
install(FILES deploy/parley.toml DESTINATION "${CMAKE_INSTALL_FULL_SYSCONFDIR}/parley")
install(FILES deploy/parley.env DESTINATION "${CMAKE_INSTALL_FULL_SYSCONFDIR}/default"
        RENAME parley PERMISSIONS OWNER_READ OWNER_WRITE)
install(FILES docs/operations.md README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_PACKAGE_NAME parley)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "self-hostable, horizontally scalable chat server")
set(CPACK_PACKAGE_CONTACT "Parley maintainers <parley@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends: from the libraries the binary links
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "systemd")
file(WRITE "${CMAKE_BINARY_DIR}/debian/conffiles" "${PARLEY_CONFIG_FILE}\n${PARLEY_ENV_FILE}\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${CMAKE_BINARY_DIR}/debian/conffiles")
include(CPack)
