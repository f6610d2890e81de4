// Profile fields as an adversary sends them (docs/api.md "Profiles").
#include "service/profile_fields.h"

#include <gtest/gtest.h>

namespace parley {
namespace {

Code codeOf(const Result<std::string>& r) { return r ? Code::internal : r.error().code; }

TEST(ProfileFields, DisplayNameIsTrimmedAndCountedInCodePoints) {
  EXPECT_EQ(checkDisplayName("  Ada Lovelace  ").value(), "Ada Lovelace");
  EXPECT_EQ(codeOf(checkDisplayName("Ada\t")), Code::invalid_profile);  // a tab is a control
  EXPECT_EQ(checkDisplayName("\u3000Zoë\u00a0").value(), "Zoë");        // Unicode spaces trimmed
  EXPECT_EQ(checkDisplayName(std::string(64, 'a')).value(), std::string(64, 'a'));
  std::string sixty_four_e;
  for (int i = 0; i < 64; ++i) sixty_four_e += "é";  // 128 bytes, 64 code points
  EXPECT_TRUE(checkDisplayName(sixty_four_e));
  EXPECT_EQ(codeOf(checkDisplayName(std::string(65, 'a'))), Code::invalid_profile);
  EXPECT_EQ(codeOf(checkDisplayName(sixty_four_e + "é")), Code::invalid_profile);
  EXPECT_EQ(codeOf(checkDisplayName(std::string(1 << 20, 'a'))), Code::invalid_profile);
}

TEST(ProfileFields, DisplayNameIsNeverEmpty) {
  for (const char* raw : {"", " ", "\t \u2003"}) {
    EXPECT_EQ(codeOf(checkDisplayName(raw)), Code::invalid_profile) << raw;
  }
}

TEST(ProfileFields, ControlsAndBadUtf8AreRefused) {
  for (std::string raw :
       {std::string("a\nb"), std::string("a\x01"), std::string("a\x7f"), std::string("a\u0085"),
        std::string("a\u2028b"), std::string("\u202egnp"), std::string("a\u2066b"),
        std::string("a\0b", 3), std::string("\xff"), std::string("a\xc3"),
        std::string("\xed\xa0\x80"), std::string("\xc0\xaf")}) {
    EXPECT_EQ(codeOf(checkDisplayName(raw)), Code::invalid_profile) << raw;
    EXPECT_EQ(codeOf(checkStatusText(raw)), Code::invalid_profile) << raw;
  }
}

TEST(ProfileFields, StatusTextMayBeEmptyAndAtMostAHundred) {
  EXPECT_EQ(checkStatusText("  ").value(), "");
  EXPECT_EQ(checkStatusText(" lunch ").value(), "lunch");
  EXPECT_TRUE(checkStatusText(std::string(100, 'x')));
  EXPECT_EQ(codeOf(checkStatusText(std::string(101, 'x'))), Code::invalid_profile);
}

TEST(ProfileFields, StatusEmojiIsOneEmoji) {
  EXPECT_EQ(checkStatusEmoji("🌴").value(), "🌴");
  EXPECT_EQ(checkStatusEmoji(":tada:").value(), "🎉");
  for (const char* raw : {"", "a", "🌴🌴", "🌴 ", "<script>"}) {
    EXPECT_EQ(codeOf(checkStatusEmoji(raw)), Code::invalid_profile) << raw;
  }
}

TEST(ProfileFields, TimeZoneIsAnIanaName) {
  for (const char* zone : {"Europe/Paris", "UTC", "America/Argentina/Buenos_Aires", "US/Pacific",
                           "Etc/GMT+5", "Asia/Kolkata"}) {
    auto z = checkTimeZone(zone);
    ASSERT_TRUE(z) << zone;
    EXPECT_EQ(*z, zone);
  }
  for (std::string zone :
       {std::string(), std::string("Mars/Olympus"), std::string("GMT+05:00"),
        std::string("europe/paris "), std::string("../../etc/passwd"), std::string(65, 'A'),
        std::string("Europe/Paris\0", 13), std::string("Europe/Parisé")}) {
    EXPECT_EQ(codeOf(checkTimeZone(zone)), Code::invalid_profile) << zone;
  }
}

TEST(ProfileFields, APatchChangesNothingUnlessEveryFieldPasses) {
  ProfilePatch patch;
  patch.display_name.emplace(" Ada ");
  patch.time_zone.emplace("Nowhere/Land");
  auto ok = checkPatch(patch);
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().code, Code::invalid_profile);
  EXPECT_NE(ok.error().message.find("time_zone"), std::string::npos);
}

TEST(ProfileFields, APatchSetsClearsAndLeaves) {
  Profile p;
  p.user_id = 1;
  p.username = "ada";
  p.status_text = "busy";
  p.time_zone = "UTC";
  ProfilePatch patch;
  patch.display_name.emplace(" ÉMILE ");
  patch.status_text.emplace(std::nullopt);  // null: clear
  ASSERT_TRUE(checkPatch(patch));
  EXPECT_TRUE(applyPatch(p, patch));
  EXPECT_EQ(p.display_name, "ÉMILE");
  EXPECT_EQ(p.display_key, "émile");
  EXPECT_EQ(p.status_text, "");
  EXPECT_EQ(p.time_zone, "UTC");       // absent: left
  EXPECT_FALSE(applyPatch(p, patch));  // the same again changes nothing
}

TEST(ProfileFields, SearchFoldsCaseAndCompatibilityForms) {
  EXPECT_EQ(foldForSearch("ÉMILE"), foldForSearch("émile"));
  EXPECT_EQ(foldForSearch("ｅmile"), "emile");
  EXPECT_EQ(foldForSearch("Straße"), "strasse");
  EXPECT_EQ(checkPeopleQuery(" Al ").value(), "al");
  EXPECT_EQ(checkPeopleQuery("").value(), "");
  EXPECT_EQ(codeOf(checkPeopleQuery(std::string(65, 'a'))), Code::invalid_profile);
  EXPECT_EQ(codeOf(checkPeopleQuery("a\x01")), Code::invalid_profile);
}

}  // namespace
}  // namespace parley
