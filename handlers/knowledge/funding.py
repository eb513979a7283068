"""National and provincial support for enterprise technology innovation: what each one is for.

Decision numbers are cited only where checked. Calls for proposals, support levels and forms change
every year, so each answer sends the user to the provincial Department of Science and Technology.
"""

from __future__ import annotations

from handlers.knowledge.base import Topic

_ASK_DOST = "Sở KH&CN tỉnh/thành phố nơi doanh nghiệp đặt trụ sở hướng dẫn đề xuất và thời điểm nộp."
_NO_FIGURES = (
    "Mức hỗ trợ, điều kiện và thời hạn nộp hồ sơ thay đổi theo từng đợt; Trung tâm sẽ giúp "
    "anh/chị kiểm tra thông báo mới nhất."
)

TECH_INNOVATION = Topic(
    id="dmcn",
    title="Chương trình đổi mới công nghệ quốc gia đến năm 2030 (Quyết định 118/QĐ-TTg)",
    keywords=("đổi mới công nghệ", "chương trình đổi mới công nghệ", "đổi mới công nghệ quốc gia",
              "hoàn thiện công nghệ", "nâng cấp công nghệ", "118",
              "đổi mới thiết bị", "nâng cấp thiết bị", "mua công nghệ", "sản phẩm chủ lực",
              "thay thế công nghệ"),
    summary=(
        "Chương trình hỗ trợ doanh nghiệp chuyển giao, đổi mới, hoàn thiện công nghệ để tạo sản "
        "phẩm có chất lượng và giá trị gia tăng cao; ưu tiên sản phẩm chủ lực, trọng điểm và chuyển "
        "giao công nghệ cho nông nghiệp ở nông thôn, miền núi, vùng khó khăn; có hỗ trợ đào tạo "
        "nhân lực. Doanh nghiệp thường chủ trì nhiệm vụ và góp vốn đối ứng."
    ),
    prepare=(
        "Đề xuất/thuyết minh nhiệm vụ: công nghệ hiện tại, công nghệ cần đổi mới, mục tiêu, sản "
        "phẩm, hiệu quả kinh tế",
        "Hồ sơ pháp lý và báo cáo tài chính của doanh nghiệp; cam kết vốn đối ứng",
        "Thỏa thuận với đơn vị chuyển giao công nghệ hoặc viện, trường phối hợp (nếu đã có)",
    ),
    where="Bộ KH&CN công bố đợt đề xuất, đặt hàng nhiệm vụ; " + _ASK_DOST,
    note=_NO_FIGURES,
    button="Đổi mới công nghệ",
)

FOREIGN_TECH = Topic(
    id="ftech",
    title="Chương trình tìm kiếm và chuyển giao công nghệ nước ngoài đến năm 2030",
    keywords=("công nghệ nước ngoài", "chuyển giao công nghệ nước ngoài", "tìm kiếm công nghệ",
              "nhập khẩu công nghệ", "đối tác nước ngoài", "chuyên gia nước ngoài",
              "công nghệ từ nước ngoài"),
    summary=(
        "Chương trình hỗ trợ tìm kiếm, giải mã, làm chủ và chuyển giao công nghệ tiên tiến từ nước "
        "ngoài vào Việt Nam, kết nối doanh nghiệp với đối tác, chuyên gia và người Việt ở nước "
        "ngoài. Phù hợp khi anh/chị cần công nghệ mà trong nước chưa có hoặc chưa làm chủ được."
    ),
    prepare=(
        "Mô tả công nghệ cần tìm: yêu cầu kỹ thuật, công suất, sản phẩm đầu ra",
        "Đối tác hoặc nguồn công nghệ nước ngoài đã biết (nếu có)",
        "Năng lực tiếp nhận: nhân lực kỹ thuật, mặt bằng, nguồn vốn đối ứng",
    ),
    where="Bộ KH&CN quản lý chương trình; " + _ASK_DOST,
    note=_NO_FIGURES,
    button="Công nghệ nước ngoài",
)

NATIONAL_PRODUCT = Topic(
    id="spqg",
    title="Chương trình phát triển sản phẩm quốc gia đến năm 2030 (Quyết định 157/QĐ-TTg)",
    keywords=("sản phẩm quốc gia", "chương trình sản phẩm quốc gia", "157"),
    summary=(
        "Chương trình hỗ trợ nghiên cứu, ứng dụng công nghệ tiên tiến để hình thành và phát triển "
        "các sản phẩm quốc gia: sản xuất bằng công nghệ tiên tiến, có khả năng bảo hộ sở hữu trí "
        "tuệ, quy mô lớn, giá trị gia tăng và sức cạnh tranh cao. Chương trình cũng tiếp tục hỗ trợ "
        "các sản phẩm quốc gia đã được phê duyệt trước đây."
    ),
    prepare=(
        "Thông tin sản phẩm: công nghệ sản xuất, quy mô, thị trường trong nước và xuất khẩu",
        "Quyền sở hữu trí tuệ liên quan (đã có hoặc dự kiến đăng ký)",
        "Năng lực doanh nghiệp và đối tác nghiên cứu; khả năng đối ứng kinh phí",
    ),
    where="Bộ KH&CN và các bộ được giao chủ trì từng sản phẩm; " + _ASK_DOST,
    note="Chương trình dành cho sản phẩm quy mô lớn; doanh nghiệp nhỏ thường phù hợp hơn với "
    "chương trình đổi mới công nghệ hoặc quỹ KH&CN của tỉnh.",
    button="Sản phẩm quốc gia",
)

PRODUCTIVITY = Topic(
    id="nsct",
    title="Chương trình quốc gia hỗ trợ doanh nghiệp nâng cao năng suất và chất lượng sản phẩm, "
    "hàng hóa giai đoạn 2021-2030 (Quyết định 1322/QĐ-TTg)",
    keywords=("năng suất", "năng suất chất lượng", "nâng cao năng suất", "chất lượng sản phẩm",
              "iso", "5s", "kaizen", "lean", "tiêu chuẩn", "quy chuẩn", "hệ thống quản lý"),
    summary=(
        "Chương trình hỗ trợ doanh nghiệp áp dụng tiêu chuẩn, quy chuẩn kỹ thuật, hệ thống quản lý "
        "(như ISO 9001, ISO 22000, ISO 14001) và công cụ cải tiến năng suất (5S, Kaizen, Lean...) để "
        "nâng năng suất và chất lượng sản phẩm. Nhiều tỉnh có chương trình năng suất chất lượng riêng."
    ),
    prepare=(
        "Hiện trạng sản xuất, quản lý; tiêu chuẩn hoặc công cụ muốn áp dụng",
        "Thông tin doanh nghiệp: lĩnh vực, quy mô lao động, sản phẩm chính",
        "Kế hoạch và kinh phí đối ứng dự kiến",
    ),
    where="Bộ KH&CN chủ trì chương trình quốc gia; " + _ASK_DOST,
    note=_NO_FIGURES,
    button="Năng suất chất lượng",
)

IP_DEVELOPMENT = Topic(
    id="ipdev",
    title="Chương trình phát triển tài sản trí tuệ đến năm 2030 (Quyết định 2205/QĐ-TTg)",
    keywords=("tài sản trí tuệ", "phát triển tài sản trí tuệ", "hỗ trợ sở hữu trí tuệ",
              "hỗ trợ đăng ký nhãn hiệu", "hỗ trợ chỉ dẫn địa lý", "hỗ trợ bảo hộ",
              "hỗ trợ đăng ký sáng chế", "kinh phí đăng ký nhãn hiệu", "nhãn hiệu",
              "nhãn hiệu tập thể", "chỉ dẫn địa lý", "sáng chế", "sở hữu trí tuệ"),
    summary=(
        "Chương trình hỗ trợ tạo lập, đăng ký bảo hộ, quản lý, khai thác và bảo vệ quyền sở hữu trí "
        "tuệ, nhất là chỉ dẫn địa lý, nhãn hiệu tập thể, nhãn hiệu chứng nhận cho đặc sản địa "
        "phương, sáng chế và giống cây trồng. Nhiều tỉnh có chương trình hỗ trợ sở hữu trí tuệ riêng."
    ),
    prepare=(
        "Sản phẩm và đối tượng muốn bảo hộ (nhãn hiệu, chỉ dẫn địa lý, sáng chế...)",
        "Tổ chức đứng đơn (doanh nghiệp, hợp tác xã, hội) và các hộ, đơn vị tham gia",
        "Kế hoạch quản lý, sử dụng và phát triển thị trường cho sản phẩm sau khi được bảo hộ",
    ),
    where="Cục Sở hữu trí tuệ quản lý chương trình quốc gia; " + _ASK_DOST,
    note=_NO_FIGURES,
    button="Tài sản trí tuệ",
)

ENTERPRISE_FUND = Topic(
    id="qdn",
    title="Quỹ phát triển khoa học và công nghệ của doanh nghiệp",
    keywords=("quỹ của doanh nghiệp", "quỹ doanh nghiệp", "trích lập quỹ", "trích lập",
              "quỹ phát triển khoa học công nghệ của doanh nghiệp", "quỹ khoa học công nghệ doanh "
              "nghiệp", "thu nhập tính thuế"),
    summary=(
        "Doanh nghiệp được tự trích một phần thu nhập tính thuế, trước khi tính thuế thu nhập doanh "
        "nghiệp, để lập quỹ phát triển KH&CN của mình, dùng cho nghiên cứu, đổi mới, chuyển giao và "
        "ứng dụng công nghệ. Quỹ phải dùng đúng mục đích và trong thời hạn luật định; nếu không, "
        "doanh nghiệp phải nộp lại phần thuế tương ứng kèm tiền lãi."
    ),
    prepare=(
        "Quyết định thành lập quỹ và quy chế quản lý, sử dụng quỹ của doanh nghiệp",
        "Kế hoạch sử dụng quỹ: nhiệm vụ nghiên cứu, đổi mới hoặc mua công nghệ dự kiến",
        "Sổ sách theo dõi và báo cáo trích lập, sử dụng quỹ hằng năm",
    ),
    where="Tỷ lệ trích tối đa và mẫu báo cáo theo pháp luật về KH&CN và thuế thu nhập doanh nghiệp "
    "hiện hành; hỏi cơ quan thuế quản lý trực tiếp hoặc Sở KH&CN.",
    note="Mua công nghệ qua Trung tâm (chuyển giao công nghệ) là một khoản chi hợp lệ từ quỹ.",
    button="Quỹ KH&CN doanh nghiệp",
)

PROVINCIAL_FUND = Topic(
    id="qtinh",
    title="Quỹ phát triển khoa học và công nghệ của tỉnh/thành phố",
    keywords=("quỹ tỉnh", "quỹ của tỉnh", "quỹ khoa học công nghệ tỉnh", "quỹ phát triển khoa học "
              "công nghệ tỉnh", "quỹ địa phương", "quỹ thành phố", "hỗ trợ của tỉnh", "tỉnh hỗ trợ"),
    summary=(
        "Nhiều tỉnh, thành phố có Quỹ phát triển KH&CN tài trợ hoặc cho vay ưu đãi để doanh nghiệp "
        "trên địa bàn ứng dụng, đổi mới công nghệ và thực hiện nhiệm vụ KH&CN. Đối tượng, mức hỗ "
        "trợ và thủ tục do từng quỹ quy định."
    ),
    prepare=(
        "Hồ sơ đề xuất theo mẫu của quỹ (thuyết minh dự án, dự toán kinh phí)",
        "Hồ sơ pháp lý, năng lực tài chính của doanh nghiệp; phương án đối ứng hoặc tài sản bảo "
        "đảm nếu vay",
        "Hợp đồng hoặc thỏa thuận chuyển giao công nghệ (nếu đã có)",
    ),
    where="Quỹ thường đặt tại Sở KH&CN tỉnh; " + _ASK_DOST,
    note=_NO_FIGURES,
    button="Quỹ KH&CN của tỉnh",
)

NATIF = Topic(
    id="natif",
    title="Quỹ Đổi mới công nghệ quốc gia (NATIF)",
    keywords=("natif", "quỹ đổi mới công nghệ quốc gia", "quỹ đổi mới công nghệ", "vay ưu đãi",
              "vay vốn", "vay vốn ưu đãi", "cho vay", "hỗ trợ lãi suất", "bảo lãnh vay",
              "lãi suất ưu đãi", "lãi suất thấp", "vay", "vay đổi mới công nghệ"),
    summary=(
        "NATIF thuộc Bộ KH&CN, hỗ trợ doanh nghiệp chuyển giao, đổi mới, hoàn thiện công nghệ qua "
        "tài trợ, cho vay ưu đãi, hỗ trợ lãi suất hoặc bảo lãnh vay vốn. Đối tượng cho vay gồm cả "
        "dự án thực hiện hợp đồng chuyển giao công nghệ ký tại chợ công nghệ, sự kiện kết nối cung "
        "cầu công nghệ."
    ),
    prepare=(
        "Dự án chuyển giao hoặc đổi mới công nghệ: mục tiêu, công nghệ, tổng vốn, hiệu quả",
        "Hồ sơ pháp lý, báo cáo tài chính; tài sản bảo đảm hoặc phương án trả nợ nếu vay",
        "Hợp đồng chuyển giao công nghệ (nếu đã ký)",
    ),
    where="Quỹ Đổi mới công nghệ quốc gia (natif.vn); Trung tâm có thể giúp chuẩn bị hồ sơ.",
    note=_NO_FIGURES,
    button="Quỹ NATIF",
)

FUNDING_TOPICS: tuple[Topic, ...] = (
    TECH_INNOVATION, FOREIGN_TECH, NATIONAL_PRODUCT, PRODUCTIVITY, IP_DEVELOPMENT,
    ENTERPRISE_FUND, PROVINCIAL_FUND, NATIF,
)

FUNDING_OVERVIEW = (
    "Doanh nghiệp có thể tìm hỗ trợ cho đổi mới công nghệ từ: Chương trình đổi mới công nghệ quốc "
    "gia; Chương trình tìm kiếm và chuyển giao công nghệ nước ngoài; Chương trình phát triển sản "
    "phẩm quốc gia; Chương trình năng suất chất lượng; Chương trình phát triển tài sản trí tuệ; Quỹ "
    "phát triển KH&CN của doanh nghiệp hoặc của tỉnh; Quỹ Đổi mới công nghệ quốc gia (NATIF). "
    "Anh/chị muốn tìm hiểu chương trình nào ạ?"
)
